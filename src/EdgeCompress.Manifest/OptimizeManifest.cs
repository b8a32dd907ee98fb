namespace EdgeCompress.Manifest;

/// <summary>
/// manifest.json of an optimize/compress output folder: the baseline, every candidate variant with its passes,
/// accuracy, size and latency (always labelled measured or estimated), which variants are Pareto-optimal and which
/// one was chosen for the profile's budget. `edgec report` reads it.
/// </summary>
public sealed class OptimizeManifest
{
    /// <summary>Format version; bumped on incompatible changes.</summary>
    public int SchemaVersion { get; set; } = 1;

    /// <summary>When the folder was written (UTC, ISO 8601).</summary>
    public string CreatedUtc { get; set; } = "";

    /// <summary>Tool and version that wrote it.</summary>
    public string Tool { get; set; } = "";

    /// <summary>Device profile id the search targeted.</summary>
    public string? Profile { get; set; }

    /// <summary>Data SPEC used for accuracy.</summary>
    public string? Data { get; set; }

    /// <summary>How the data's images became tensors (preprocess JSON), for image folders; also in each model's metadata.</summary>
    public string? Preprocess { get; set; }

    /// <summary>The --metric-command that judged the variants ({model} and {data} placeholders), when one did.</summary>
    public string? Metric { get; set; }

    /// <summary>True when the metric is better higher (null without a metric).</summary>
    public bool? MetricHigherIsBetter { get; set; }

    /// <summary>The uncompressed model, also listed as a variant with id "baseline".</summary>
    public string Baseline { get; set; } = "baseline";

    /// <summary>Id of the chosen variant, or null when none met the budget.</summary>
    public string? Chosen { get; set; }

    /// <summary>Why the chosen variant won (or why none did).</summary>
    public string? ChosenReason { get; set; }

    /// <summary>Budget the search applied.</summary>
    public ManifestBudget? Budget { get; set; }

    /// <summary>Every candidate evaluated, baseline first.</summary>
    public List<ManifestVariant> Variants { get; set; } = [];

    /// <summary>Candidates not built or not measured, with the reason (pass unavailable, pass failed, time budget spent).</summary>
    public List<ManifestSkip> Skipped { get; set; } = [];

    /// <summary>SHA-256 of the input model, so a resumed run knows it is continuing the same search.</summary>
    public string? BaselineSha256 { get; set; }
}

/// <summary>A candidate the search did not finish.</summary>
public sealed class ManifestSkip
{
    /// <summary>Recipe id.</summary>
    public string Id { get; set; } = "";

    /// <summary>Why, one line.</summary>
    public string Reason { get; set; } = "";
}

/// <summary>The budget a search applied.</summary>
public sealed class ManifestBudget
{
    /// <summary>Largest accuracy drop, percentage points.</summary>
    public double? MaxAccuracyDropPoints { get; set; }

    /// <summary>Largest model file, MiB.</summary>
    public double? MaxModelMb { get; set; }

    /// <summary>Latency target, ms.</summary>
    public double? TargetLatencyMs { get; set; }
}

/// <summary>One candidate model.</summary>
public sealed class ManifestVariant
{
    /// <summary>Short id, e.g. "baseline", "int8-static", "prune-0.5+int8".</summary>
    public string Id { get; set; } = "";

    /// <summary>Model file relative to the manifest's folder.</summary>
    public string File { get; set; } = "";

    /// <summary>SHA-256 of the file, lower-case hex.</summary>
    public string Sha256 { get; set; } = "";

    /// <summary>File size in bytes.</summary>
    public long SizeBytes { get; set; }

    /// <summary>Parameter count.</summary>
    public long? Parameters { get; set; }

    /// <summary>Multiply-accumulates for one sample.</summary>
    public long? Macs { get; set; }

    /// <summary>Passes applied in order, with their settings.</summary>
    public List<ManifestPass> Passes { get; set; } = [];

    /// <summary>The typed recipe that made the variant, in recipe-file form ({"id", "why", "steps": [{"pass", settings...}]}):
    /// `edgec optimize --recipe manifest.json#ID` builds it again. Null for the baseline.</summary>
    public System.Text.Json.Nodes.JsonObject? Recipe { get; set; }

    /// <summary>Top-1 accuracy in percent on the manifest's data, when labelled.</summary>
    public double? AccuracyPercent { get; set; }

    /// <summary>Cosine similarity of outputs against the baseline.</summary>
    public double? FidelityCosine { get; set; }

    /// <summary>Every output against the baseline's, by the measure that fits it (the quality guard's figures).</summary>
    public List<ManifestOutput>? Outputs { get; set; }

    /// <summary>The --metric-command's value on this variant's file, when the search had one.</summary>
    public double? MetricValue { get; set; }

    /// <summary>Why the variant cannot be chosen although it may meet the budget (measured slower than the baseline), or null.</summary>
    public string? NotChosenBecause { get; set; }

    /// <summary>Why the quality guard failed this variant under the search's limits, or null when it passed or was not run.</summary>
    public string? GuardFailure { get; set; }

    /// <summary>Latency figures and where they come from.</summary>
    public ManifestLatency? Latency { get; set; }

    /// <summary>Energy per inference in millijoules, when a power sensor measured it.</summary>
    public double? EnergyPerInferenceMillijoules { get; set; }

    /// <summary>How many times faster than <paramref name="baseline"/>: the same-run interleaved ratio when measured so,
    /// else the ratio of the two medians; null without latencies.</summary>
    public double? SpeedupOver(ManifestVariant? baseline)
    {
        if (Latency?.SpeedupVsBaseline is { } same && same > 0)
        {
            return same;
        }
        return baseline?.Latency is { P50Ms: > 0 } b && Latency is { P50Ms: > 0 } l ? b.P50Ms / l.P50Ms : null;
    }

    /// <summary>True when no other variant is better on accuracy, latency and size at once.</summary>
    public bool Pareto { get; set; }

    /// <summary>True when the variant meets every budget.</summary>
    public bool MeetsBudget { get; set; }

    /// <summary>Per-layer sensitivity (e.g. output error when only that layer is compressed), when measured.</summary>
    public List<ManifestLayerSensitivity>? Sensitivity { get; set; }

    /// <summary>Why the search tried this variant on the profile (settings and the profile facts behind them).</summary>
    public string? Why { get; set; }

    /// <summary>Notes for the reader (why a pass was skipped, estimate caveats).</summary>
    public List<string> Notes { get; set; } = [];
}

/// <summary>One pass of a variant's recipe.</summary>
public sealed class ManifestPass
{
    /// <summary>Pass name, e.g. "quantize-static".</summary>
    public string Pass { get; set; } = "";

    /// <summary>Its settings as text.</summary>
    public Dictionary<string, string> Settings { get; set; } = [];
}

/// <summary>Latency figures of a variant.</summary>
public sealed class ManifestLatency
{
    /// <summary>"measured" or "estimated".</summary>
    public string Source { get; set; } = "estimated";

    /// <summary>Where: "local", a device name, or "cost-model:PROFILE".</summary>
    public string Where { get; set; } = "";

    /// <summary>Intra-op threads used.</summary>
    public int Threads { get; set; } = 1;

    /// <summary>Median latency, ms.</summary>
    public double P50Ms { get; set; }

    /// <summary>90th percentile, ms (measured only).</summary>
    public double? P90Ms { get; set; }

    /// <summary>99th percentile, ms (measured only).</summary>
    public double? P99Ms { get; set; }

    /// <summary>Measured latencies, ms, for distribution plots: a sample of the runs, or a device's 0th..100th percentiles.</summary>
    public List<double>? SamplesMs { get; set; }

    /// <summary>
    /// Baseline median / this median with both timed interleaved in the same run, so a shared machine's changing load
    /// hits both alike; null when the two were not timed together (estimates, board runs).
    /// </summary>
    public double? SpeedupVsBaseline { get; set; }
}

/// <summary>Sensitivity of one layer.</summary>
public sealed class ManifestLayerSensitivity
{
    /// <summary>Node label.</summary>
    public string Node { get; set; } = "";

    /// <summary>What was measured, e.g. "1 - cosine when only this layer is int8".</summary>
    public string Metric { get; set; } = "";

    /// <summary>The value.</summary>
    public double Value { get; set; }
}

/// <summary>One output of a variant compared with the baseline's (see Evaluation.OutputFidelity).</summary>
public sealed class ManifestOutput
{
    /// <summary>Output name.</summary>
    public string Name { get; set; } = "";

    /// <summary>score, probabilities, logits or dense.</summary>
    public string Kind { get; set; } = "";

    /// <summary>Cosine similarity over the batch.</summary>
    public double Cosine { get; set; }

    /// <summary>Largest absolute difference.</summary>
    public double MaxAbsDifference { get; set; }

    /// <summary>Mean absolute difference.</summary>
    public double MeanAbsDifference { get; set; }

    /// <summary>Percent of samples whose decision matches (scores, probabilities, logits).</summary>
    public double? AgreementPercent { get; set; }

    /// <summary>SQNR in dB (dense outputs; null when identical).</summary>
    public double? SqnrDb { get; set; }

    /// <summary>How much the original's output changed between samples, relative to its size (RMS of each sample's
    /// difference from the first over RMS of the samples); null with fewer than two samples. Near 0, the output
    /// does not depend on the input and no comparison can judge a candidate.</summary>
    public double? InputSpread { get; set; }

    /// <summary>The figures as one line, e.g. "score: max |diff| 0.70, ...".</summary>
    public string Summary { get; set; } = "";
}
