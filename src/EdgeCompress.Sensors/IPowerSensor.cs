namespace EdgeCompress.Sensors;

/// <summary>A source of instantaneous power readings. Implementations never throw from <see cref="TryReadWatts"/>.</summary>
public interface IPowerSensor
{
    /// <summary>Short sensor name for results and logs (e.g. "ina219@1:0x40").</summary>
    string Name { get; }

    /// <summary>What the figure covers: "board input", "PMIC rails", "CPU package", "sum of rails".</summary>
    string Measures { get; }

    /// <summary>Reads power now. False with <paramref name="error"/> set when the read failed.</summary>
    bool TryReadWatts(out double watts, out string? error);
}

/// <summary>A sensor whose first reading only primes a counter (energy counters derive power from two reads).</summary>
public interface IPrimedPowerSensor : IPowerSensor
{
    /// <summary>Takes the reference reading the next <see cref="IPowerSensor.TryReadWatts"/> is measured against.</summary>
    bool TryPrime(out string? error);
}
