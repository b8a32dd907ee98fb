namespace EdgeCompress.Protocol;

/// <summary>
/// Measurements of one benchmark, named after onnxruntime_perf_test and TFLite benchmark_model conventions.
/// Latencies are wall-clock milliseconds per inference.
/// </summary>
public sealed class BenchmarkResult
{
    /// <summary>Session creation time (TFLite "Init").</summary>
    public double InitMs { get; set; }

    /// <summary>First inference, not part of the statistics.</summary>
    public double FirstInferenceMs { get; set; }

    /// <summary>Warm-up inferences run.</summary>
    public int WarmupCount { get; set; }

    /// <summary>Mean of warm-up inferences (0 when none).</summary>
    public double WarmupMeanMs { get; set; }

    /// <summary>Measured inferences.</summary>
    public int Count { get; set; }

    /// <summary>Fastest measured inference.</summary>
    public double MinMs { get; set; }

    /// <summary>Slowest measured inference.</summary>
    public double MaxMs { get; set; }

    /// <summary>Mean.</summary>
    public double MeanMs { get; set; }

    /// <summary>Population standard deviation.</summary>
    public double StdMs { get; set; }

    /// <summary>Median (linear interpolation between order statistics).</summary>
    public double P50Ms { get; set; }

    /// <summary>90th percentile.</summary>
    public double P90Ms { get; set; }

    /// <summary>95th percentile.</summary>
    public double P95Ms { get; set; }

    /// <summary>99th percentile.</summary>
    public double P99Ms { get; set; }

    /// <summary>99.9th percentile.</summary>
    public double P999Ms { get; set; }

    /// <summary>
    /// The latency distribution as its 0th..100th percentiles (101 values, ms), for distribution plots on the host:
    /// small enough for every stored result, exact at the quartiles and whiskers a box plot draws. Empty from daemons
    /// older than this field.
    /// </summary>
    public IReadOnlyList<double> PercentilesMs { get; set; } = [];

    /// <summary>Measured window length in seconds.</summary>
    public double MeasuredSeconds { get; set; }

    /// <summary>Inferences per second over the measured window.</summary>
    public double ThroughputPerSecond { get; set; }

    /// <summary>Peak resident set size of the daemon during the job (VmHWM), bytes.</summary>
    public long? PeakRssBytes { get; set; }

    /// <summary>Resident set growth from before session creation to the end of the run, bytes.</summary>
    public long? RssDeltaBytes { get; set; }

    /// <summary>Process CPU time (user + system) spent in the measured window, milliseconds.</summary>
    public double CpuTimeMs { get; set; }

    /// <summary>CPU time divided by wall time in the measured window (1.0 = one core busy).</summary>
    public double CpuUtilization { get; set; }

    /// <summary>Temperatures and throttling before and after.</summary>
    public ThermalResult Thermal { get; set; } = new();

    /// <summary>Power and energy, or why they are unavailable.</summary>
    public PowerResult Power { get; set; } = new();

    /// <summary>ONNX Runtime version used.</summary>
    public string OnnxRuntimeVersion { get; set; } = "";

    /// <summary>SHA-256 of the input set the loop cycled over; null when inputs were generated.</summary>
    public string? InputSet { get; set; }

    /// <summary>Samples in that input set.</summary>
    public int? InputSamples { get; set; }

    /// <summary>Bytes of the outputs kept for <c>GET /v1/benchmarks/{id}/outputs</c> (every sample's outputs, as float32).</summary>
    public long? OutputBytes { get; set; }
}

/// <summary>Thermal state around a run.</summary>
public sealed class ThermalResult
{
    /// <summary>Hottest thermal zone before the run, °C.</summary>
    public double? TemperatureBeforeCelsius { get; set; }

    /// <summary>Hottest thermal zone after the run, °C.</summary>
    public double? TemperatureAfterCelsius { get; set; }

    /// <summary>Raw <c>vcgencmd get_throttled</c> value before (Raspberry Pi only).</summary>
    public string? ThrottledBefore { get; set; }

    /// <summary>Raw value after.</summary>
    public string? ThrottledAfter { get; set; }

    /// <summary>Throttling conditions active or seen after the run, decoded (e.g. "under-voltage now").</summary>
    public IReadOnlyList<string> ThrottlingFlagsAfter { get; set; } = [];

    /// <summary>Why temperature is missing, when it is.</summary>
    public string? Unavailable { get; set; }
}

/// <summary>Power figures from the same run as the latencies (MLPerf style: window anchored to the measured phase).</summary>
public sealed class PowerResult
{
    /// <summary>True when a sensor delivered samples for the measured window.</summary>
    public bool Available { get; set; }

    /// <summary>Why power is unavailable (no sensor, sensor failed, not requested).</summary>
    public string? Unavailable { get; set; }

    /// <summary>Sensor name.</summary>
    public string? SensorName { get; set; }

    /// <summary>What it measures: "board input", "PMIC rails", "CPU package".</summary>
    public string? Measures { get; set; }

    /// <summary>Mean power while idle before the run.</summary>
    public double? IdleWatts { get; set; }

    /// <summary>Time-weighted mean power during the measured window.</summary>
    public double? MeanWatts { get; set; }

    /// <summary>Energy over the measured window, millijoules.</summary>
    public double? EnergyMillijoules { get; set; }

    /// <summary>Energy divided by measured inferences, millijoules.</summary>
    public double? EnergyPerInferenceMillijoules { get; set; }

    /// <summary>Samples inside the measured window.</summary>
    public int SampleCount { get; set; }

    /// <summary>Achieved sampling rate in the measured window, Hz.</summary>
    public double? SampleRateHz { get; set; }
}
