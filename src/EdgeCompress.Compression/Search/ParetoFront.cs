namespace EdgeCompress.Compression.Search;

/// <summary>A point in the trade-off space: higher accuracy, lower latency, smaller size are better.</summary>
/// <param name="Id">Variant id.</param>
/// <param name="AccuracyPercent">Top-1 accuracy (or fidelity x 100 for unlabelled data).</param>
/// <param name="LatencyMs">p50 latency.</param>
/// <param name="SizeBytes">File size.</param>
public sealed record TradeoffPoint(string Id, double AccuracyPercent, double LatencyMs, long SizeBytes);

/// <summary>Pareto dominance over accuracy, latency and size.</summary>
public static class ParetoFront
{
    /// <summary>True when <paramref name="a"/> is at least as good as <paramref name="b"/> on every axis and
    /// strictly better on one.</summary>
    public static bool Dominates(TradeoffPoint a, TradeoffPoint b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var noWorse = a.AccuracyPercent >= b.AccuracyPercent && a.LatencyMs <= b.LatencyMs && a.SizeBytes <= b.SizeBytes;
        var better = a.AccuracyPercent > b.AccuracyPercent || a.LatencyMs < b.LatencyMs || a.SizeBytes < b.SizeBytes;
        return noWorse && better;
    }

    /// <summary>Ids of the points no other point dominates.</summary>
    public static IReadOnlySet<string> Of(IReadOnlyList<TradeoffPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        return points.Where(p => !points.Any(q => !ReferenceEquals(p, q) && Dominates(q, p)))
            .Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
    }
}
