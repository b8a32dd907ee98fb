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

    /// <summary>Real inputs (<c>--data</c>): the loop cycles over them on every device and each device's outputs come back.</summary>
    public InputSetFile? InputSet { get; init; }

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
            InputShapes = InputShapes is { Count: > 0 } shapes && InputSet is null ? shapes.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal) : null,
            InputSet = InputSet?.Sha256,
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

    /// <summary>With <c>--data</c>: what the data was, and per output how the device's outputs agreed with the host's.</summary>
    public OutputAgreement? Agreement { get; set; }

    /// <summary>With <c>--data</c>: every sample's outputs as the device computed them (not stored in the database).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<IReadOnlyList<WireTensor>>? DeviceOutputs { get; set; }
}

/// <summary>An input set made on the host (<c>bench --data</c>): its bytes in <see cref="TensorSet"/> format, their
/// SHA-256 (the set's name on every device) and the samples.</summary>
public sealed class InputSetFile
{
    /// <summary>Builds the set's bytes and checksum from <paramref name="samples"/>.</summary>
    public InputSetFile(string source, IReadOnlyList<IReadOnlyList<WireTensor>> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        Source = source;
        Samples = samples;
        Bytes = TensorSet.ToBytes(samples);
        Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Bytes));
    }

    /// <summary>Where the samples came from (the data spec as typed).</summary>
    public string Source { get; }

    /// <summary>The samples.</summary>
    public IReadOnlyList<IReadOnlyList<WireTensor>> Samples { get; }

    /// <summary>The set in wire format.</summary>
    public byte[] Bytes { get; }

    /// <summary>Hex SHA-256 of <see cref="Bytes"/>.</summary>
    public string Sha256 { get; }
}

/// <summary>How a device's outputs agreed with the host's on the same inputs (the quality guard's measures, per output).</summary>
public sealed class OutputAgreement
{
    /// <summary>The data spec the inputs came from.</summary>
    public string Data { get; set; } = "";

    /// <summary>SHA-256 of the input set.</summary>
    public string InputSet { get; set; } = "";

    /// <summary>Samples compared.</summary>
    public int Samples { get; set; }

    /// <summary>Per output.</summary>
    public List<OutputAgreementLine> Outputs { get; set; } = [];

    /// <summary>Why the device disagrees beyond the guard's limits; null when it agrees.</summary>
    public string? Failure { get; set; }
}

/// <summary>One output's agreement.</summary>
public sealed class OutputAgreementLine
{
    /// <summary>Output name.</summary>
    public string Name { get; set; } = "";

    /// <summary>score, probabilities, logits or dense.</summary>
    public string Kind { get; set; } = "";

    /// <summary>Cosine similarity over every value.</summary>
    public double Cosine { get; set; }

    /// <summary>Largest absolute difference.</summary>
    public double MaxAbsDifference { get; set; }

    /// <summary>Percent of samples whose decision (argmax or score over the threshold) matches; null for dense outputs.</summary>
    public double? AgreementPercent { get; set; }

    /// <summary>SQNR in dB of dense outputs (null when infinite or not dense).</summary>
    public double? SqnrDb { get; set; }

    /// <summary>The figures in words, as the guard prints them.</summary>
    public string Summary { get; set; } = "";
}
