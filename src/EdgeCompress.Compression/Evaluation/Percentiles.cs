namespace EdgeCompress.Compression.Evaluation;

/// <summary>Order statistics for latency figures, on the 0..100 scale the search and reports use.</summary>
public static class Percentiles
{
    /// <summary>
    /// Linear-interpolated percentile (0..100) of values sorted ascending; NaN for none. The same interpolation as
    /// edged's benchmark engine, so a host figure and a board figure are computed alike.
    /// </summary>
    public static double OfSorted(IReadOnlyList<double> sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        return sorted.Count == 0 ? double.NaN : EdgeCompress.Runtime.LatencyStatistics.Percentile(sorted, p / 100.0);
    }
}
