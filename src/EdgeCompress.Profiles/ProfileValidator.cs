namespace EdgeCompress.Profiles;

/// <summary>Checks a profile's values; every problem is one line naming the field.</summary>
public static class ProfileValidator
{
    private static readonly string[] Schemes = ["S8S8", "U8S8"];
    private static readonly string[] PowerKinds = ["none", "ina219", "ina3221", "pmic", "rapl"];
    private static readonly string[] Architectures = ["aarch64", "x86_64"];

    /// <summary>Returns the problems found (empty when the profile is usable).</summary>
    public static IReadOnlyList<string> Validate(DeviceProfile p, string? expectedId = null)
    {
        ArgumentNullException.ThrowIfNull(p);
        var errors = new List<string>();
        void Check(bool ok, string message)
        {
            if (!ok)
            {
                errors.Add(message);
            }
        }

        Check(!string.IsNullOrWhiteSpace(p.Id), "field 'id': required");
        Check(expectedId is null || p.Id == expectedId, $"field 'id': is '{p.Id}' but the file is named '{expectedId}.json'");
        Check(!string.IsNullOrWhiteSpace(p.Name), "field 'name': required");
        Check(p.Cpu.Cores is > 0 and <= 256, $"field 'cpu.cores': must be 1..256, got {p.Cpu.Cores}");
        Check(Architectures.Contains(p.Cpu.Architecture), $"field 'cpu.architecture': must be one of {string.Join(", ", Architectures)}, got '{p.Cpu.Architecture}'");
        Check(p.Memory.MinMb > 0 && p.Memory.MaxMb >= p.Memory.MinMb, "field 'memory': minMb must be > 0 and maxMb >= minMb");
        Check(p.Runtime.IntraOpThreads > 0 && p.Runtime.IntraOpThreads <= Math.Max(1, p.Cpu.Cores),
            $"field 'runtime.intraOpThreads': must be 1..cpu.cores, got {p.Runtime.IntraOpThreads}");
        Check(p.Runtime.ExecutionProviders.Count > 0, "field 'runtime.executionProviders': list at least CPUExecutionProvider");
        Check(Schemes.Contains(p.Quantization.Scheme), $"field 'quantization.scheme': must be S8S8 or U8S8, got '{p.Quantization.Scheme}'");
        Check(p.ChannelRounding is >= 1 and <= 128, $"field 'channelRounding': must be 1..128, got {p.ChannelRounding}");
        Check(PowerKinds.Contains(p.Power.Kind), $"field 'power.kind': must be one of {string.Join(", ", PowerKinds)}, got '{p.Power.Kind}'");
        if (p.Power.Kind == "ina219")
        {
            Check(p.Power.I2cBus is >= 0, "field 'power.i2cBus': required for an ina219 sensor");
            Check(p.Power.I2cAddress is >= 0x40 and <= 0x4F, "field 'power.i2cAddress': an INA219 answers at 0x40..0x4F (64..79)");
            Check(p.Power.ShuntOhms is > 0, "field 'power.shuntOhms': required and > 0 for an ina219 sensor");
            Check(p.Power.MaxCurrentAmps is > 0, "field 'power.maxCurrentAmps': required and > 0 for an ina219 sensor");
        }
        if (p.Power.Kind is "ina3221" or "rapl")
        {
            Check(!string.IsNullOrEmpty(p.Power.SysfsPath), $"field 'power.sysfsPath': required for a {p.Power.Kind} sensor");
        }
        if (p.Power.Kind == "pmic")
        {
            Check(!string.IsNullOrEmpty(p.Power.Command), "field 'power.command': required for a pmic sensor");
        }
        Check(p.MarkerGpioPin is null or (>= 0 and <= 63), "field 'markerGpioPin': must be a GPIO number 0..63");
        Check(p.Budgets.MaxModelMb > 0, "field 'budgets.maxModelMb': must be > 0");
        Check(p.Budgets.MaxRamMb > 0, "field 'budgets.maxRamMb': must be > 0");
        Check(p.Budgets.TargetLatencyMs > 0, "field 'budgets.targetLatencyMs': must be > 0");
        Check(p.Budgets.MaxAccuracyDropPoints is >= 0 and <= 100, "field 'budgets.maxAccuracyDropPoints': must be 0..100");
        Check(p.CostModel.Fp32MegaMacsPerSecondPerCore > 0, "field 'costModel.fp32MegaMacsPerSecondPerCore': must be > 0");
        Check(p.CostModel.Int8MegaMacsPerSecondPerCore > 0, "field 'costModel.int8MegaMacsPerSecondPerCore': must be > 0");
        Check(p.CostModel.MemoryMegabytesPerSecond > 0, "field 'costModel.memoryMegabytesPerSecond': must be > 0");
        return errors;
    }
}
