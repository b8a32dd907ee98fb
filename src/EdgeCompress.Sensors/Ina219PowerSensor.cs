namespace EdgeCompress.Sensors;

/// <summary>An <see cref="Ina219"/> on the board's supply line as a power sensor; owns the driver.</summary>
public sealed class Ina219PowerSensor : IPowerSensor, IDisposable
{
    private readonly Ina219 _chip;

    /// <summary>Wraps an already calibrated chip.</summary>
    public Ina219PowerSensor(Ina219 chip, string name, string measures = "board input")
    {
        _chip = chip;
        Name = name;
        Measures = measures;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public string Measures { get; }

    /// <inheritdoc />
    public bool TryReadWatts(out double watts, out string? error) => _chip.TryReadPowerWatts(out watts, out error);

    /// <inheritdoc />
    public void Dispose() => _chip.Dispose();
}
