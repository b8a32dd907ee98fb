namespace EdgeCompress.Protocol;

/// <summary>Body of <c>POST /v1/benchmarks</c>. Either <see cref="Iterations"/> or <see cref="DurationSeconds"/> bounds the run.</summary>
public sealed class BenchmarkRequest
{
    /// <summary>Stored model name.</summary>
    public string Model { get; set; } = "";

    /// <summary>Model version; the newest when absent.</summary>
    public int? ModelVersion { get; set; }

    /// <summary>Intra-op threads (onnxruntime_perf_test -x); 0 lets ONNX Runtime choose.</summary>
    public int Threads { get; set; } = 1;

    /// <summary>Inter-op threads (-y); 0 lets ONNX Runtime choose.</summary>
    public int InterOpThreads { get; set; }

    /// <summary>Warm-up inferences after the first one, not measured.</summary>
    public int Warmup { get; set; } = 1;

    /// <summary>Measured inferences (like -r); default 50 when neither this nor a duration is given.</summary>
    public int? Iterations { get; set; }

    /// <summary>Measured duration in seconds (like -t), when given instead of iterations.</summary>
    public double? DurationSeconds { get; set; }

    /// <summary>Shapes for inputs with symbolic dimensions, by input name; unknown dimensions default to 1.</summary>
    public Dictionary<string, long[]>? InputShapes { get; set; }

    /// <summary>Sample power during the run when a sensor exists.</summary>
    public bool Power { get; set; } = true;

    /// <summary>Seconds of idle power sampling before the run (only with power).</summary>
    public double IdleSeconds { get; set; } = 1;

    /// <summary>Execution provider: "cpu" (the only one the boards' ONNX Runtime build has).</summary>
    public string ExecutionProvider { get; set; } = "cpu";

    /// <summary>Graph optimisation level: disabled, basic, extended or all (like -o).</summary>
    public string GraphOptimization { get; set; } = "all";

    /// <summary>SHA-256 of an input set uploaded with <c>PUT /v1/inputs/{sha256}</c>: the measured loop cycles over its
    /// samples instead of generated inputs, and every sample's outputs are kept for <c>GET /v1/benchmarks/{id}/outputs</c>.</summary>
    public string? InputSet { get; set; }
}

/// <summary>Answer of <c>PUT</c> and <c>GET /v1/inputs/{sha256}</c>: an input set stored on the device.</summary>
public sealed class InputSetInfo
{
    /// <summary>Hex SHA-256 of the set's bytes.</summary>
    public string Sha256 { get; set; } = "";

    /// <summary>Size of the set in bytes.</summary>
    public long Bytes { get; set; }

    /// <summary>Samples in the set.</summary>
    public int Samples { get; set; }

    /// <summary>The first sample's tensors, e.g. "image: float32 [1,3,224,224]".</summary>
    public IReadOnlyList<string> Tensors { get; set; } = [];
}

/// <summary>Answer of <c>POST /v1/benchmarks</c> (202).</summary>
public sealed class BenchmarkAccepted
{
    /// <summary>Job id for <c>GET /v1/benchmarks/{id}</c>.</summary>
    public string Id { get; set; } = "";

    /// <summary>Initial state (queued).</summary>
    public string Status { get; set; } = BenchmarkStates.Queued;

    /// <summary>Jobs ahead of this one.</summary>
    public int QueuePosition { get; set; }
}

/// <summary>Answer of <c>GET /v1/benchmarks/{id}</c>; also the record persisted in the results file.</summary>
public sealed class BenchmarkStatus
{
    /// <summary>Job id.</summary>
    public string Id { get; set; } = "";

    /// <summary>queued, running, completed or failed (<see cref="BenchmarkStates"/>).</summary>
    public string Status { get; set; } = BenchmarkStates.Queued;

    /// <summary>The request as accepted, defaults filled in.</summary>
    public BenchmarkRequest Request { get; set; } = new();

    /// <summary>The model version the job resolved to.</summary>
    public ModelVersionInfo? ModelVersion { get; set; }

    /// <summary>When it was queued.</summary>
    public DateTimeOffset CreatedUtc { get; set; }

    /// <summary>When it started running.</summary>
    public DateTimeOffset? StartedUtc { get; set; }

    /// <summary>When it ended.</summary>
    public DateTimeOffset? FinishedUtc { get; set; }

    /// <summary>Why it failed.</summary>
    public string? Error { get; set; }

    /// <summary>Measurements, when completed.</summary>
    public BenchmarkResult? Result { get; set; }
}

/// <summary>One server-sent progress event of a benchmark job.</summary>
public sealed class BenchmarkEvent
{
    /// <summary>Job id.</summary>
    public string Id { get; set; } = "";

    /// <summary>Event number within the job, from 0.</summary>
    public int Sequence { get; set; }

    /// <summary>queued, running, progress, completed or failed.</summary>
    public string Kind { get; set; } = "";

    /// <summary>Phase: idle-power, init, warmup, measure.</summary>
    public string? Phase { get; set; }

    /// <summary>Inferences done in the phase.</summary>
    public int? Done { get; set; }

    /// <summary>Inferences planned in the phase, when known.</summary>
    public int? Total { get; set; }

    /// <summary>Free text (the error for failed).</summary>
    public string? Message { get; set; }

    /// <summary>When it happened.</summary>
    public DateTimeOffset TimestampUtc { get; set; }
}
