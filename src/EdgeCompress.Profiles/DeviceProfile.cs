namespace EdgeCompress.Profiles;

/// <summary>
/// A board the compressor tunes for and the daemon runs on: its CPU, memory, runtime settings, preferred
/// compression settings, sensors and budgets. Stored as device-profiles/ID.json; users add boards by copying one.
/// </summary>
public sealed class DeviceProfile
{
    /// <summary>Short id used on the command line, e.g. "rpi5"; must equal the file name without .json.</summary>
    public string Id { get; set; } = "";

    /// <summary>Human name, e.g. "Raspberry Pi 5".</summary>
    public string Name { get; set; } = "";

    /// <summary>Processor facts.</summary>
    public CpuInfo Cpu { get; set; } = new();

    /// <summary>Memory range of the board's variants, in MiB.</summary>
    public MemoryInfo Memory { get; set; } = new();

    /// <summary>ONNX Runtime settings on this board.</summary>
    public RuntimeInfo Runtime { get; set; } = new();

    /// <summary>Preferred int8 scheme.</summary>
    public QuantizationPreference Quantization { get; set; } = new();

    /// <summary>Preferred channel rounding for pruning and low-rank factorization.</summary>
    public int ChannelRounding { get; set; } = 1;

    /// <summary>Power sensor, if any.</summary>
    public PowerSensorInfo Power { get; set; } = new();

    /// <summary>Thermal zone and throttling source.</summary>
    public ThermalInfo Thermal { get; set; } = new();

    /// <summary>GPIO pin (BCM numbering) raised during measured windows for external meters; null for none.</summary>
    public int? MarkerGpioPin { get; set; }

    /// <summary>What a chosen model must meet on this board.</summary>
    public Budgets Budgets { get; set; } = new();

    /// <summary>Throughput figures for latency estimates when no board is reachable.</summary>
    public CostModelInfo CostModel { get; set; } = new();

    /// <summary>Free text: why the settings are what they are.</summary>
    public string? Notes { get; set; }
}

/// <summary>Processor facts that decide kernels and thread counts.</summary>
public sealed class CpuInfo
{
    /// <summary>Number of cores.</summary>
    public int Cores { get; set; }

    /// <summary>Microarchitecture, e.g. "cortex-a76", "x86-64".</summary>
    public string Microarchitecture { get; set; } = "";

    /// <summary>Instruction-set architecture: "aarch64" or "x86_64".</summary>
    public string Architecture { get; set; } = "";

    /// <summary>Features that matter to int8/fp16 kernels: neon, dotprod, i8mm, fp16, avx2, avx512vnni, ...</summary>
    public List<string> Features { get; set; } = [];

    /// <summary>Nominal clock in MHz.</summary>
    public int FrequencyMhz { get; set; }
}

/// <summary>Memory range of the board's variants.</summary>
public sealed class MemoryInfo
{
    /// <summary>Smallest variant, MiB.</summary>
    public int MinMb { get; set; }

    /// <summary>Largest variant, MiB.</summary>
    public int MaxMb { get; set; }
}

/// <summary>ONNX Runtime settings.</summary>
public sealed class RuntimeInfo
{
    /// <summary>Execution providers in order of preference.</summary>
    public List<string> ExecutionProviders { get; set; } = ["CPUExecutionProvider"];

    /// <summary>Default intra-op threads for benchmarks.</summary>
    public int IntraOpThreads { get; set; } = 1;
}

/// <summary>Preferred int8 scheme.</summary>
public sealed class QuantizationPreference
{
    /// <summary>"S8S8" (int8 activations and weights) or "U8S8" (uint8 activations).</summary>
    public string Scheme { get; set; } = "S8S8";

    /// <summary>Per-channel weight scales.</summary>
    public bool PerChannel { get; set; } = true;

    /// <summary>7-bit weights to avoid int16 accumulation overflow on x86 without VNNI.</summary>
    public bool ReduceRange { get; set; }
}

/// <summary>Which power sensor a board has and how to reach it.</summary>
public sealed class PowerSensorInfo
{
    /// <summary>"none", "ina219", "ina3221", "pmic" (Pi 5 vcgencmd) or "rapl".</summary>
    public string Kind { get; set; } = "none";

    /// <summary>What the reading covers: "board", "rails" or "cpu-package".</summary>
    public string? Measures { get; set; }

    /// <summary>I2C bus number (INA219).</summary>
    public int? I2cBus { get; set; }

    /// <summary>I2C address (INA219, default 0x40 = 64).</summary>
    public int? I2cAddress { get; set; }

    /// <summary>Shunt resistance in ohms (INA219).</summary>
    public double? ShuntOhms { get; set; }

    /// <summary>Largest expected current in amperes (INA219 calibration).</summary>
    public double? MaxCurrentAmps { get; set; }

    /// <summary>sysfs folder of the sensor (INA3221, RAPL).</summary>
    public string? SysfsPath { get; set; }

    /// <summary>Rail whose reading is the board total (INA3221: VDD_IN or POM_5V_IN).</summary>
    public string? TotalRail { get; set; }

    /// <summary>Command whose output is parsed (Pi 5: "vcgencmd pmic_read_adc").</summary>
    public string? Command { get; set; }
}

/// <summary>Thermal zone and throttling source.</summary>
public sealed class ThermalInfo
{
    /// <summary>sysfs file in millidegrees Celsius.</summary>
    public string? Zone { get; set; }

    /// <summary>Command reporting throttling flags (Pi: "vcgencmd get_throttled").</summary>
    public string? ThrottleCommand { get; set; }
}

/// <summary>What a chosen model must meet on this board.</summary>
public sealed class Budgets
{
    /// <summary>Largest model file, MiB.</summary>
    public double MaxModelMb { get; set; }

    /// <summary>Largest resident memory while running, MiB.</summary>
    public double MaxRamMb { get; set; }

    /// <summary>Single-sample latency target, milliseconds.</summary>
    public double TargetLatencyMs { get; set; }

    /// <summary>Largest accuracy drop against the baseline, in percentage points.</summary>
    public double MaxAccuracyDropPoints { get; set; }
}

/// <summary>Sustained throughput of one core for latency estimates; rough figures, labelled "estimated" wherever used,
/// and replaced by measurements recorded from the profile's devices when any exist.</summary>
public sealed class CostModelInfo
{
    /// <summary>Float32 multiply-accumulates per second per core, in millions.</summary>
    public double Fp32MegaMacsPerSecondPerCore { get; set; }

    /// <summary>Int8 multiply-accumulates per second per core, in millions.</summary>
    public double Int8MegaMacsPerSecondPerCore { get; set; }

    /// <summary>Memory bandwidth available to one core, MiB/s (weights and activations streamed).</summary>
    public double MemoryMegabytesPerSecond { get; set; }

    /// <summary>Fixed cost per operator call, microseconds (dispatch, small-tensor overhead).</summary>
    public double PerOperatorMicroseconds { get; set; }
}
