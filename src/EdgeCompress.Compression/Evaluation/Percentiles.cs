namespace EdgeCompress.Compression.Evaluation;

/// <summary>Order statistics for latency figures.</summary>
public static class Percentiles
{
    /// <summary>Linear-interpolated percentile (0..100) of values sorted ascending; NaN for none.</summary>
    public static double OfSorted(IReadOnlyList<double> sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0)
        {
            return double.NaN;
        }
        var rank = p / 100.0 * (sorted.Count - 1);
        var lo = (int)Math.Floor(rank);
        var hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + ((rank - lo) * (sorted[hi] - sorted[lo]));
    }
}
