namespace EdgeCompress.Sensors;

/// <summary>Which power sensor to use and how; bound from the daemon's "Edged:Sensors" configuration section.</summary>
public sealed class PowerSensorSettings
{
    /// <summary>auto (Jetson INA3221, then Pi 5 PMIC, then RAPL), none, ina219, jetson, pi5-pmic or rapl.</summary>
    public string Power { get; set; } = "auto";

    /// <summary>I2C bus of an external INA219 (/dev/i2c-N).</summary>
    public int Ina219Bus { get; set; } = 1;

    /// <summary>7-bit I2C address of the INA219.</summary>
    public int Ina219Address { get; set; } = Ina219.DefaultI2cAddress;

    /// <summary>Shunt resistor, ohms (0.1 on the common breakout boards).</summary>
    public double Ina219ShuntOhms { get; set; } = 0.1;

    /// <summary>Largest current expected through the shunt, amperes; sets the resolution.</summary>
    public double Ina219MaxCurrentAmperes { get; set; } = 3.2;

    /// <summary>Sampling rate during benchmarks, Hz.</summary>
    public double SampleRateHz { get; set; } = 100;

    /// <summary>GPIO pin (BCM numbering) raised during measured windows; none when absent.</summary>
    public int? MarkerPin { get; set; }

    /// <summary>The accepted <see cref="Power"/> values.</summary>
    public static IReadOnlyList<string> PowerChoices { get; } = ["auto", "none", "ina219", "jetson", "pi5-pmic", "rapl"];
}
