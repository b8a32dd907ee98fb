using EdgeCompress.Profiles;

namespace EdgeCompress.Compression.Search;

/// <summary>Inputs of one search.</summary>
public sealed class OptimizeOptions
{
    /// <summary>The model to compress.</summary>
    public required string ModelPath { get; init; }

    /// <summary>Output folder: baseline.onnx, variants/*.onnx, chosen.onnx, manifest.json.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>The target board.</summary>
    public required DeviceProfile Profile { get; init; }

    /// <summary>Data SPEC for accuracy (held-out data).</summary>
    public required string DataSpec { get; init; }

    /// <summary>Data SPEC for calibration and fine-tuning (training data); defaults to <see cref="DataSpec"/>.</summary>
    public string? CalibrationSpec { get; init; }

    /// <summary>Data SPEC for fine-tuning, or null when training is unavailable.</summary>
    public string? FineTuneSpec { get; init; }

    /// <summary>Stop starting new candidates after this long; what was found is still written.</summary>
    public TimeSpan TimeBudget { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Overrides the profile's accuracy budget (points).</summary>
    public double? MaxAccuracyDropPoints { get; init; }

    /// <summary>Recipes to try, in order; null for <see cref="CandidateGrid.For"/>.</summary>
    public IReadOnlyList<Recipe>? Recipes { get; init; }

    /// <summary>Per-output limits for unlabelled data (--min-sqnr, --max-score-diff); the disagreement limit is the accuracy budget.</summary>
    public Evaluation.GuardLimits GuardLimits { get; init; } = new();

    /// <summary>--metric-command: the user's evaluator; when given, its value on each variant decides the accuracy
    /// budget (<see cref="MaxAccuracyDropPoints"/> in its units).</summary>
    public Evaluation.MetricCommand? Metric { get; init; }

    /// <summary>--input-shape sizes for dynamic input axes (the variants written keep them dynamic).</summary>
    public IReadOnlyDictionary<string, long[]> InputShapes { get; init; } = new Dictionary<string, long[]>();

    /// <summary>--preprocess: how image-folder data becomes tensors (null: the folder's preprocess.json or defaults).</summary>
    public Data.Preprocess? Preprocess { get; init; }

    /// <summary>Name and version written into the manifest.</summary>
    public string Tool { get; init; } = "edgec";
}

/// <summary>How a search ended.</summary>
/// <param name="ManifestPath">The manifest written.</param>
/// <param name="ChosenId">The chosen variant, or null when none met the budget (exit code 1).</param>
/// <param name="Measured">Variants measured, baseline included.</param>
/// <param name="Skipped">Candidates skipped.</param>
public sealed record OptimizeOutcome(string ManifestPath, string? ChosenId, int Measured, int Skipped);
