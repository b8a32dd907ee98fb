using System.Globalization;
using EdgeCompress.Data;
using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Evaluation;

/// <summary>What the quality guard holds a compressed model to, in each measure's own units.</summary>
public sealed record QualitySettings
{
    /// <summary>Per-output limits used when the data has no labels and no metric command decides.</summary>
    public GuardLimits Limits { get; init; } = new();

    /// <summary>Decision threshold of score outputs.</summary>
    public double Threshold { get; init; } = 0.5;

    /// <summary>Largest allowed drop: top-1 points with labels, the metric's units with a metric command
    /// (null: with labels <see cref="GuardLimits.MaxDisagreementPoints"/>, with a metric no limit on it).</summary>
    public double? MaxDrop { get; init; }

    /// <summary>The user's evaluator, which then decides pass or fail.</summary>
    public MetricCommand? Metric { get; init; }

    /// <summary>Compare at most this many samples (null: all the data gives).</summary>
    public int? MaxRows { get; init; }

    /// <summary>True when the user set a budget, so a failing guard fails the command (else it is a warning).</summary>
    public bool Enforced { get; init; }
}

/// <summary>One candidate against the original: every output by its own measure, accuracy with labels, the
/// user's metric when given, and the verdict with the measure that decided it.</summary>
public sealed class QualityResult
{
    /// <summary>The data spec compared on.</summary>
    public required string Data { get; init; }

    /// <summary>Samples (rows) compared.</summary>
    public required int Samples { get; init; }

    /// <summary>Each output's comparison, in the model's output order.</summary>
    public required IReadOnlyList<OutputFidelity> Outputs { get; init; }

    /// <summary>Top-1 of the original and of the candidate, percent (labelled data only).</summary>
    public (double Original, double Candidate)? Top1 { get; init; }

    /// <summary>Top-5 of the original and of the candidate, percent (labelled data, 5 or more classes).</summary>
    public (double Original, double Candidate)? Top5 { get; init; }

    /// <summary>The metric command's value on the original and on the candidate.</summary>
    public (double Original, double Candidate)? Metric { get; init; }

    /// <summary>The measure that decided: "top-1 accuracy", the metric's name, or "worst output".</summary>
    public required string Basis { get; init; }

    /// <summary>Why the candidate fails the guard; null when it passes.</summary>
    public string? Failure { get; init; }

    /// <summary>What the budget was, in words ("top-1 drop &lt;= 1 pt").</summary>
    public required string Budget { get; init; }

    /// <summary>True when the candidate passes.</summary>
    public bool Passed => Failure is null;

    /// <summary>Higher is better, in the deciding measure's terms: to keep the best of several tries.</summary>
    public double Score { get; init; }
}

/// <summary>
/// The quality guard: runs a candidate and the original over the same data and judges the candidate by the measure
/// that fits: the user's metric command when given, top-1 accuracy on labelled data, else every output by its own
/// measure with the worst one deciding (<see cref="OutputGuard"/>). quantize, prune, factorize and the accuracy
/// guard's search all judge through here.
/// </summary>
public static class QualityCheck
{
    /// <summary>Compares <paramref name="candidate"/> with <paramref name="original"/> on <paramref name="data"/>.</summary>
    public static QualityResult Compare(OnnxModel original, OnnxModel candidate, DataSpec data, QualitySettings settings,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(settings);
        var report = ModelEvaluator.Evaluate(candidate, data, original,
            new EvaluationOptions { LatencyRuns = 0, Threads = 0, BatchSize = 64, Threshold = settings.Threshold, MaxRows = settings.MaxRows }, progress, cancellationToken);
        var outputs = report.PerOutput?.Outputs ?? [];
        var c = CultureInfo.InvariantCulture;
        (double, double)? top1 = report.BaselineTop1Percent is { } b1 && report.Top1Percent is { } t1 ? (b1, t1) : null;
        (double, double)? top5 = report.BaselineTop5Percent is { } b5 && report.Top5Percent is { } t5 && ClassesOf(outputs) > 5 ? (b5, t5) : null;
        if (settings.Metric is { } metric)
        {
            progress?.Report($"running {metric.Name} on the original and the candidate");
            var before = metric.Evaluate(PathOf(original, "original"), data.Text, cancellationToken);
            var after = EvaluateInMemory(metric, candidate, data.Text, cancellationToken);
            var drop = metric.Drop(before, after);
            var failure = settings.MaxDrop is { } max && drop > max + 1e-12
                ? string.Create(c, $"{metric.Name} {before:G6} -> {after:G6}: worse by {drop:G4}, more than the {max:G4} allowed")
                : null;
            return new QualityResult
            {
                Data = data.Text, Samples = report.Samples, Outputs = outputs, Top1 = top1, Top5 = top5, Metric = (before, after),
                Basis = metric.Name, Failure = failure, Score = -drop,
                Budget = settings.MaxDrop is { } m ? string.Create(c, $"worse by at most {m:G4} ({(metric.HigherIsBetter ? "higher" : "lower")} is better)") : "no --max-drop: reported only",
            };
        }
        if (top1 is var (orig, cand))
        {
            var max = settings.MaxDrop ?? settings.Limits.MaxDisagreementPoints;
            return new QualityResult
            {
                Data = data.Text, Samples = report.Samples, Outputs = outputs, Top1 = top1, Top5 = top5,
                Basis = "top-1 accuracy", Score = cand,
                Failure = orig - cand > max + 1e-9 ? string.Create(c, $"top-1 {orig:F2}% -> {cand:F2}%: {orig - cand:F2} pt lost, more than the {max:G4} pt allowed") : null,
                Budget = string.Create(c, $"top-1 drop <= {max:G4} pt"),
            };
        }
        var limits = settings.MaxDrop is { } points ? settings.Limits with { MaxDisagreementPoints = points } : settings.Limits;
        return new QualityResult
        {
            Data = data.Text, Samples = report.Samples, Outputs = outputs, Basis = "worst output",
            Failure = report.PerOutput?.Failure(limits), Score = WorstScore(outputs),
            Budget = string.Create(c, $"decisions agree >= {100 - limits.MaxDisagreementPoints:G4}%, scores move <= {limits.MaxScoreDifference:G4}, dense SQNR >= {limits.MinSqnrDb:G4} dB, cosine >= {limits.MinCosine:G4}"),
        };
    }

    /// <summary>The lowest decision agreement over the outputs (percent), else the lowest cosine x 100.</summary>
    private static double WorstScore(IReadOnlyList<OutputFidelity> outputs)
    {
        var agreements = outputs.Select(o => o.AgreementPercent).OfType<double>().ToList();
        return agreements.Count > 0 ? agreements.Min() + outputs.Min(o => o.Cosine) : 100 * outputs.Select(o => o.Cosine).DefaultIfEmpty(1).Min();
    }

    /// <summary>Classes of the first output (top-5 means nothing with five or fewer).</summary>
    private static long ClassesOf(IReadOnlyList<OutputFidelity> outputs) => outputs.Count > 0 ? outputs[0].Width : 0;

    private static string PathOf(OnnxModel model, string name)
    {
        if (model.SourcePath is { } path && File.Exists(path))
        {
            return path;
        }
        var temp = Path.Combine(Path.GetTempPath(), $"edgec-{name}-{Environment.ProcessId}-{Guid.NewGuid():N}.onnx");
        model.Save(temp);
        return temp;
    }

    private static double EvaluateInMemory(MetricCommand metric, OnnxModel candidate, string data, CancellationToken ct)
    {
        var temp = Path.Combine(Path.GetTempPath(), $"edgec-candidate-{Environment.ProcessId}-{Guid.NewGuid():N}.onnx");
        try
        {
            candidate.Save(temp);
            return metric.Evaluate(temp, data, ct);
        }
        finally
        {
            File.Delete(temp);
            File.Delete(temp + ".data");
        }
    }
}
