namespace EdgeCompress.Protocol;

/// <summary>
/// Order statistics of latencies, as every figure in results and manifests means them: numpy's default "linear"
/// interpolation between order statistics. One definition for edged's benchmark engine, the host search and reports.
/// </summary>
public static class Percentiles
{
    /// <summary>The <paramref name="quantile"/> (0..1) of values sorted ascending (at least one).</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double quantile)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        var position = quantile * (sorted.Count - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Count - 1);
        return sorted[lower] + ((sorted[upper] - sorted[lower]) * (position - lower));
    }

    /// <summary>The percentile <paramref name="p"/> (0..100) of values sorted ascending; NaN for none.</summary>
    public static double OfSorted(IReadOnlyList<double> sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        return sorted.Count == 0 ? double.NaN : Quantile(sorted, p / 100.0);
    }
}
