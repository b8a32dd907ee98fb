using EdgeCompress.Sensors;

namespace EdgeCompress.Runtime;

/// <summary>
/// What the benchmark engine may read around a run: the power sensor (or why there is none), thermal zones,
/// Pi throttling flags and the GPIO marker. Every member is optional; a missing one shows up in the result as a reason.
/// Not owned: the caller keeps these alive and disposes them.
/// </summary>
public sealed class BenchmarkEnvironment
{
    /// <summary>The power sensor, when one was found.</summary>
    public IPowerSensor? PowerSensor { get; init; }

    /// <summary>Why <see cref="PowerSensor"/> is null.</summary>
    public string? PowerUnavailableReason { get; init; }

    /// <summary>Power sampling period.</summary>
    public TimeSpan SamplePeriod { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>The clock power sampling runs on (the system's; tests pass a fake one).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Thermal zones.</summary>
    public ThermalZones? Thermal { get; init; }

    /// <summary>Raspberry Pi throttling flags.</summary>
    public PiThrottling? Throttling { get; init; }

    /// <summary>GPIO marker raised for the measured window.</summary>
    public MarkerPin? Marker { get; init; }

    /// <summary>No sensors at all (a plain host run).</summary>
    public static BenchmarkEnvironment None { get; } = new() { PowerUnavailableReason = "no power sensor configured" };
}
