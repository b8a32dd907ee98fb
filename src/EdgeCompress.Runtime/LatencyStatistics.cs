using EdgeCompress.Protocol;

namespace EdgeCompress.Runtime;

/// <summary>Summary statistics of per-inference latencies in milliseconds.</summary>
public sealed record LatencyStatistics(
    int Count, double MinMs, double MaxMs, double MeanMs, double StdMs,
    double P50Ms, double P90Ms, double P95Ms, double P99Ms, double P999Ms, IReadOnlyList<double> PercentilesMs)
{
    /// <summary>Computes the statistics; percentiles interpolate linearly between order statistics.</summary>
    public static LatencyStatistics From(IReadOnlyList<double> latenciesMs)
    {
        if (latenciesMs.Count == 0)
        {
            throw new ArgumentException("no latencies to summarise", nameof(latenciesMs));
        }

        var sorted = latenciesMs.ToArray();
        Array.Sort(sorted);
        var mean = sorted.Average();
        var variance = sorted.Sum(v => (v - mean) * (v - mean)) / sorted.Length;
        var curve = Enumerable.Range(0, 101).Select(p => Percentiles.Quantile(sorted, p / 100.0)).ToArray();
        return new LatencyStatistics(
            sorted.Length, sorted[0], sorted[^1], mean, Math.Sqrt(variance),
            curve[50], curve[90], curve[95], curve[99], Percentiles.Quantile(sorted, 0.999), curve);
    }
}
