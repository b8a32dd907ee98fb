using EdgeCompress.Protocol;

namespace EdgeCompress.Fleet;

/// <summary>What the user asked a benchmark to do; the same settings go to every device and into the results database.</summary>
public sealed class BenchSettings
{
    /// <summary>Intra-op threads; 0 lets ONNX Runtime choose.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Warm-up inferences after the first.</summary>
    public int Warmup { get; init; } = 1;

    /// <summary>Measured inferences; the engine's default (50) when neither this nor a duration is given.</summary>
    public int? Iterations { get; init; }

    /// <summary>Measured duration in seconds, instead of iterations.</summary>
    public double? DurationSeconds { get; init; }

    /// <summary>Sample power when the device has a sensor.</summary>
    public bool Power { get; init; }

    /// <summary>Shapes for the model's inputs (name -> dims, batch included): sizes dynamic axes; null for the model's own.</summary>
    public IReadOnlyDictionary<string, long[]>? InputShapes { get; init; }

    /// <summary>The request sent for a stored model, checked by the same rules the daemon applies.</summary>
    public BenchmarkRequest ToRequest(string model, int? version)
    {
        var request = new BenchmarkRequest
        {
            Model = model,
            ModelVersion = version,
            Threads = Threads,
            Warmup = Warmup,
            Iterations = Iterations,
            DurationSeconds = DurationSeconds,
            Power = Power,
            IdleSeconds = Power ? 1 : 0,
            InputShapes = InputShapes is { Count: > 0 } shapes ? shapes.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal) : null,
        };
        if (EdgeCompress.Runtime.BenchmarkRequestRules.Normalize(request) is { } problem)
        {
            throw new FleetException(problem.Replace("durationSeconds", "--duration", StringComparison.Ordinal));
        }

        return request;
    }
}

/// <summary>One benchmark run in the results database: where, what, how, when, and the measurements.</summary>
public sealed class BenchRecord
{
    /// <summary>When the run finished.</summary>
    public DateTimeOffset TimeUtc { get; set; }

    /// <summary>Device name ("local" for the in-process engine).</summary>
    public string Device { get; set; } = "";

    /// <summary>Daemon URL; null for local.</summary>
    public string? DeviceUrl { get; set; }

    /// <summary>Device profile id reported by the daemon.</summary>
    public string? Profile { get; set; }

    /// <summary>Host name of the machine that ran the model.</summary>
    public string? Hostname { get; set; }

    /// <summary>Machine architecture.</summary>
    public string? Architecture { get; set; }

    /// <summary>CPU model.</summary>
    public string? CpuModel { get; set; }

    /// <summary>edged version; null for local.</summary>
    public string? EdgedVersion { get; set; }

    /// <summary>The local model file benchmarked.</summary>
    public string ModelFile { get; set; } = "";

    /// <summary>Store name on the device.</summary>
    public string ModelName { get; set; } = "";

    /// <summary>Store version on the device.</summary>
    public int? ModelVersion { get; set; }

    /// <summary>Hex SHA-256 of the model bytes.</summary>
    public string ModelSha256 { get; set; } = "";

    /// <summary>Model size in bytes.</summary>
    public long ModelBytes { get; set; }

    /// <summary>Settings as requested.</summary>
    public int Threads { get; set; }

    /// <summary>Warm-up inferences.</summary>
    public int Warmup { get; set; }

    /// <summary>Requested iterations.</summary>
    public int? Iterations { get; set; }

    /// <summary>Requested duration, seconds.</summary>
    public double? DurationSeconds { get; set; }

    /// <summary>Whether power was requested.</summary>
    public bool Power { get; set; }

    /// <summary>Daemon job id.</summary>
    public string? JobId { get; set; }

    /// <summary>The measurements.</summary>
    public BenchmarkResult Result { get; set; } = new();
}
