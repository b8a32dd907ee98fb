using EdgeCompress.Protocol;

namespace EdgeCompress.Fleet;

/// <summary>What one metric did between two runs.</summary>
public enum ChangeVerdict
{
    /// <summary>The change is inside the noise band or the tolerance.</summary>
    WithinNoise,

    /// <summary>Worse by more than both the noise band and the tolerance.</summary>
    Regression,

    /// <summary>Better by more than both.</summary>
    Improvement,

    /// <summary>One of the runs has no figure for it.</summary>
    NotComparable,
}

/// <summary>One metric of a comparison: both values, the change, the noise band and the verdict.</summary>
/// <param name="Metric">Name with unit, e.g. "p50 ms".</param>
/// <param name="Before">Run A's value.</param>
/// <param name="After">Run B's value.</param>
/// <param name="NoiseBand">Half-width of the 95% band of the difference expected from each run's own spread; null when
/// the runs carry no distribution for it.</param>
/// <param name="Verdict">The call.</param>
public sealed record MetricChange(string Metric, double? Before, double? After, double? NoiseBand, ChangeVerdict Verdict)
{
    /// <summary>After minus before.</summary>
    public double? Delta => Before is { } a && After is { } b ? b - a : null;

    /// <summary>The change relative to before, percent.</summary>
    public double? DeltaPercent => Before is { } a && After is { } b && a != 0 ? (b - a) / a * 100 : null;
}

/// <summary>
/// Compares two stored runs metric by metric. Latency quantiles get a noise band from each run's own distribution:
/// the standard error of a sample quantile, sqrt(q(1-q)/n) / f(x_q), with the density f read off the run's stored
/// percentiles (±5 points around q); the band is 1.96 times the combined error of both runs. That band is within-run
/// noise only (thermal state, other load and board-to-board spread add to it), so a change is called a regression only
/// when it exceeds both the band and a relative tolerance (default 5%). Memory and energy have no distribution per run;
/// they are judged by the tolerance alone.
/// </summary>
public static class RunComparison
{
    /// <summary>The default relative tolerance, percent.</summary>
    public const double DefaultTolerancePercent = 5;

    /// <summary>Every metric both runs can be compared on, latency first.</summary>
    public static IReadOnlyList<MetricChange> Compare(BenchRecord before, BenchRecord after, double tolerancePercent = DefaultTolerancePercent)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var a = before.Result;
        var b = after.Result;
        var changes = new List<MetricChange>
        {
            Latency("p50 ms", 0.50, a, b, a.P50Ms, b.P50Ms, tolerancePercent),
            Latency("p90 ms", 0.90, a, b, a.P90Ms, b.P90Ms, tolerancePercent),
            Latency("p99 ms", 0.99, a, b, a.P99Ms, b.P99Ms, tolerancePercent),
            Judge("mean ms", a.MeanMs, b.MeanMs, MeanBand(a, b), tolerancePercent, higherIsWorse: true),
            Judge("throughput /s", Positive(a.ThroughputPerSecond), Positive(b.ThroughputPerSecond), null, tolerancePercent, higherIsWorse: false),
            Judge("peak RSS MB", a.PeakRssBytes / 1e6, b.PeakRssBytes / 1e6, null, tolerancePercent, higherIsWorse: true),
            Judge("energy/inference mJ", a.Power.EnergyPerInferenceMillijoules, b.Power.EnergyPerInferenceMillijoules, null, tolerancePercent, higherIsWorse: true),
            Judge("session create ms", Positive(a.InitMs), Positive(b.InitMs), null, tolerancePercent, higherIsWorse: true),
        };
        return changes;
    }

    /// <summary>True when any metric regressed.</summary>
    public static bool AnyRegression(IEnumerable<MetricChange> changes) => changes.Any(c => c.Verdict == ChangeVerdict.Regression);

    /// <summary>The standard error of quantile <paramref name="q"/> of a run, from its stored percentiles; null without them.</summary>
    public static double? QuantileStandardError(BenchmarkResult result, double q)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.PercentilesMs.Count != 101 || result.Count < 2)
        {
            return null;
        }

        const int Half = 5;
        var at = (int)Math.Round(q * 100);
        var low = Math.Max(0, at - Half);
        var high = Math.Min(100, at + Half);
        // The spread of x over that many points of probability is 1/f(x_q) times the width in probability.
        var width = (result.PercentilesMs[high] - result.PercentilesMs[low]) / ((high - low) / 100.0);
        return Math.Sqrt(q * (1 - q) / result.Count) * width;
    }

    private static MetricChange Latency(string name, double q, BenchmarkResult a, BenchmarkResult b, double before, double after, double tolerance)
    {
        double? band = QuantileStandardError(a, q) is { } sa && QuantileStandardError(b, q) is { } sb ? 1.96 * Math.Sqrt(sa * sa + sb * sb) : null;
        return Judge(name, Positive(before), Positive(after), band, tolerance, higherIsWorse: true);
    }

    private static double? MeanBand(BenchmarkResult a, BenchmarkResult b) =>
        a.Count > 1 && b.Count > 1 ? 1.96 * Math.Sqrt(a.StdMs * a.StdMs / a.Count + b.StdMs * b.StdMs / b.Count) : null;

    private static double? Positive(double value) => value > 0 ? value : null;

    private static MetricChange Judge(string name, double? before, double? after, double? band, double tolerancePercent, bool higherIsWorse)
    {
        if (before is not { } a || after is not { } b)
        {
            return new MetricChange(name, before, after, band, ChangeVerdict.NotComparable);
        }

        var delta = b - a;
        var beyondBand = band is not { } noise || Math.Abs(delta) > noise;
        var beyondTolerance = a != 0 && Math.Abs(delta) / Math.Abs(a) * 100 > tolerancePercent;
        var verdict = !(beyondBand && beyondTolerance) ? ChangeVerdict.WithinNoise
            : (delta > 0) == higherIsWorse ? ChangeVerdict.Regression : ChangeVerdict.Improvement;
        return new MetricChange(name, a, b, band, verdict);
    }
}
