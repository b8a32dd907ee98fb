using System.Device.I2c;

namespace EdgeCompress.Sensors;

/// <summary>Finds the power sensor the settings ask for; says why when there is none.</summary>
public static class SensorDiscovery
{
    /// <summary>
    /// Returns the sensor, or null with <paramref name="reason"/>. "auto" tries the on-board monitors in order
    /// (Jetson INA3221, Pi 5 PMIC, RAPL); an external INA219 is only used when configured, because probing an I2C
    /// address blindly could talk to some other chip.
    /// </summary>
    public static IPowerSensor? FindPower(PowerSensorSettings settings, SensorPaths paths, ICommandRunner runner, out string? reason)
    {
        switch (settings.Power)
        {
            case "none":
                reason = "power sensing is disabled in the configuration";
                return null;
            case "ina219":
                return OpenIna219(settings, out reason);
            case "jetson":
                return JetsonIna3221.TryFind(paths, out reason);
            case "pi5-pmic":
                return TryPiPmic(paths, runner, out reason);
            case "rapl":
                return RaplPowerSensor.TryFind(paths, out reason);
            case "auto":
                var reasons = new List<string>();
                IPowerSensor? found = JetsonIna3221.TryFind(paths, out var r1);
                reasons.Add(r1 ?? "");
                found ??= TryPiPmic(paths, runner, out var r2) ?? Note(reasons, r2);
                found ??= RaplPowerSensor.TryFind(paths, out var r3) ?? Note(reasons, r3);
                reason = found is null ? "no power sensor found: " + string.Join("; ", reasons.Where(r => r.Length > 0)) : null;
                return found;
            default:
                reason = $"unknown power sensor '{settings.Power}' (use {string.Join(", ", PowerSensorSettings.PowerChoices)})";
                return null;
        }
    }

    private static PiPmic? TryPiPmic(SensorPaths paths, ICommandRunner runner, out string? reason)
    {
        var pmic = new PiPmic(runner, paths.Vcgencmd);
        if (pmic.TryReadWatts(out _, out reason))
        {
            return pmic;
        }

        reason = $"Pi 5 PMIC: {reason}";
        return null;
    }

    private static Ina219PowerSensor? OpenIna219(PowerSensorSettings settings, out string? reason)
    {
        Ina219? chip = null;
        try
        {
            chip = new Ina219(new I2cConnectionSettings(settings.Ina219Bus, settings.Ina219Address));
            chip.Reset();
            chip.Calibrate(settings.Ina219ShuntOhms, settings.Ina219MaxCurrentAmperes);
            reason = null;
            return new Ina219PowerSensor(chip, $"ina219@{settings.Ina219Bus}:0x{settings.Ina219Address:x2}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PlatformNotSupportedException or InvalidOperationException or ArgumentException)
        {
            chip?.Dispose();
            reason = $"INA219 on /dev/i2c-{settings.Ina219Bus} at 0x{settings.Ina219Address:x2}: {ex.Message}";
            return null;
        }
    }

    private static IPowerSensor? Note(List<string> reasons, string? reason)
    {
        reasons.Add(reason ?? "");
        return null;
    }
}
