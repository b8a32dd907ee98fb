namespace EdgeCompress.Sensors;

/// <summary>
/// x86 package power from the powercap RAPL energy counters (intel-rapl:N/energy_uj, µJ), for runs on a host.
/// Power is the energy difference between two reads over the time between them; a counter that passed
/// max_energy_range_uj wrapped and is unwrapped. All top-level packages are summed; sub-zones (core, uncore,
/// dram) are inside the package figure and are not added.
/// </summary>
public sealed class RaplPowerSensor : IPrimedPowerSensor
{
    private readonly (string EnergyFile, double RangeMicrojoules)[] _zones;
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private double[]? _lastMicrojoules;
    private long _lastTimestamp;

    private RaplPowerSensor((string, double)[] zones, TimeProvider time) => (_zones, _time) = (zones, time);

    /// <inheritdoc />
    public string Name => "rapl";

    /// <inheritdoc />
    public string Measures => "CPU package";

    /// <summary>Finds readable package zones; null with a reason when there are none.</summary>
    public static RaplPowerSensor? TryFind(SensorPaths paths, out string? reason, TimeProvider? time = null)
    {
        var zones = new List<(string, double)>();
        if (Directory.Exists(paths.PowercapClass))
        {
            foreach (var zone in Directory.EnumerateDirectories(paths.PowercapClass, "intel-rapl:*").Order(StringComparer.Ordinal))
            {
                // intel-rapl:0 is a package; intel-rapl:0:1 is a sub-zone inside it.
                if (Path.GetFileName(zone).Count(c => c == ':') != 1)
                {
                    continue;
                }

                var energy = Path.Combine(zone, "energy_uj");
                if (JetsonIna3221.TryReadNumber(energy, out _, out _) &&
                    JetsonIna3221.TryReadNumber(Path.Combine(zone, "max_energy_range_uj"), out var range, out _))
                {
                    zones.Add((energy, range));
                }
            }
        }

        if (zones.Count == 0)
        {
            reason = Directory.Exists(paths.PowercapClass)
                ? "RAPL energy counters are not readable (energy_uj needs root on recent kernels)"
                : "no powercap RAPL interface";
            return null;
        }

        reason = null;
        return new RaplPowerSensor([.. zones], time ?? TimeProvider.System);
    }

    /// <inheritdoc />
    public bool TryPrime(out string? error)
    {
        lock (_gate)
        {
            if (!TryReadAll(out var values, out error))
            {
                return false;
            }

            _lastMicrojoules = values;
            _lastTimestamp = _time.GetTimestamp();
            return true;
        }
    }

    /// <inheritdoc />
    public bool TryReadWatts(out double watts, out string? error)
    {
        watts = 0;
        lock (_gate)
        {
            if (_lastMicrojoules is null)
            {
                return TryPrime(out error) && Fail("RAPL needs two readings; primed now", out error);
            }

            var now = _time.GetTimestamp();
            if (!TryReadAll(out var values, out error))
            {
                return false;
            }

            var seconds = _time.GetElapsedTime(_lastTimestamp, now).TotalSeconds;
            if (seconds <= 0)
            {
                return Fail("RAPL read twice within one clock tick", out error);
            }

            double microjoules = 0;
            for (var i = 0; i < _zones.Length; i++)
            {
                microjoules += UnwrappedDelta(_lastMicrojoules[i], values[i], _zones[i].RangeMicrojoules);
            }

            _lastMicrojoules = values;
            _lastTimestamp = now;
            watts = microjoules / 1e6 / seconds;
            return true;
        }
    }

    /// <summary>Counter difference, unwrapping one pass through <paramref name="rangeMicrojoules"/>.</summary>
    public static double UnwrappedDelta(double previous, double current, double rangeMicrojoules) =>
        current >= previous ? current - previous : rangeMicrojoules - previous + current;

    private bool TryReadAll(out double[] values, out string? error)
    {
        values = new double[_zones.Length];
        for (var i = 0; i < _zones.Length; i++)
        {
            if (!JetsonIna3221.TryReadNumber(_zones[i].EnergyFile, out values[i], out error))
            {
                return false;
            }
        }

        error = null;
        return true;
    }

    private static bool Fail(string message, out string? error)
    {
        error = message;
        return false;
    }
}
