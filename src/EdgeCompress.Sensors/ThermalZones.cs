namespace EdgeCompress.Sensors;

/// <summary>Linux thermal zones (/sys/class/thermal/thermal_zoneN/temp in m°C).</summary>
public sealed class ThermalZones
{
    private readonly List<(string Name, string TempFile)> _zones;

    /// <summary>Lists the zones under <paramref name="paths"/>.</summary>
    public ThermalZones(SensorPaths paths)
    {
        var zones = new List<(string, string)>();
        if (Directory.Exists(paths.ThermalClass))
        {
            foreach (var zone in Directory.EnumerateDirectories(paths.ThermalClass, "thermal_zone*").Order(StringComparer.Ordinal))
            {
                var temp = Path.Combine(zone, "temp");
                if (File.Exists(temp))
                {
                    var typeFile = Path.Combine(zone, "type");
                    var type = File.Exists(typeFile) ? File.ReadAllText(typeFile).Trim() : Path.GetFileName(zone);
                    zones.Add(($"{Path.GetFileName(zone)}:{type}", temp));
                }
            }
        }

        _zones = zones;
    }

    /// <summary>Zone names as "thermal_zoneN:type".</summary>
    public IReadOnlyList<string> Names => _zones.Select(z => z.Name).ToArray();

    /// <summary>Reads every zone, in °C; zones that fail to read are left out.</summary>
    public IReadOnlyDictionary<string, double> ReadAllCelsius()
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, file) in _zones)
        {
            if (JetsonIna3221.TryReadNumber(file, out var millidegrees, out _))
            {
                result[name] = millidegrees / 1000.0;
            }
        }

        return result;
    }

    /// <summary>The hottest zone, °C; false with a reason when no zone could be read.</summary>
    public bool TryReadMaxCelsius(out double celsius, out string? error)
    {
        var all = ReadAllCelsius();
        if (all.Count == 0)
        {
            celsius = 0;
            error = _zones.Count == 0 ? "no thermal zones" : "thermal zones could not be read";
            return false;
        }

        celsius = all.Values.Max();
        error = null;
        return true;
    }
}
