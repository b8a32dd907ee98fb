using EdgeCompress.Protocol;
using EdgeCompress.Manifest;
using ScottPlot;

namespace EdgeCompress.Reporting;

/// <summary>
/// Latency distribution per variant as box plots on a log scale: a 0.3 ms variant keeps a readable box beside a
/// 40 ms one, and a long tail does not squash every box into a line.
/// </summary>
public static class LatencyPlot
{
    /// <summary>The chart, or null when no variant recorded latency samples.</summary>
    public static ReportChart? Of(OptimizeManifest m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var measured = m.Variants.Where(v => v.Latency?.SamplesMs?.Any(Usable) == true).ToList();
        if (measured.Count == 0)
        {
            return null;
        }
        var boxes = new List<Box>();
        var counts = new List<int>();
        var dropped = 0;
        double lo = double.MaxValue, hi = double.MinValue;
        for (var i = 0; i < measured.Count; i++)
        {
            var all = measured[i].Latency!.SamplesMs!;
            var s = all.Where(Usable).Order().ToArray();
            dropped += all.Count - s.Length;
            counts.Add(s.Length);
            double P(double percent) => Percentiles.OfSorted(s, percent);
            boxes.Add(new Box
            {
                Position = i,
                WhiskerMin = Math.Log10(P(5)),
                BoxMin = Math.Log10(P(25)),
                BoxMiddle = Math.Log10(P(50)),
                BoxMax = Math.Log10(P(75)),
                WhiskerMax = Math.Log10(P(95)),
            });
            lo = Math.Min(lo, P(5));
            hi = Math.Max(hi, P(95));
        }
        var keys = VariantKeys.For(m);
        var labels = measured.Select(v => keys.Label(v.Id)).ToArray();
        var plot = ReportPlots.NewPlot();
        plot.Add.Boxes(boxes);
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, labels.Length).Select(i => (double)i).ToArray(), labels);
        var (low, high) = LogScale.Apply(plot.Axes.Left, lo, hi);
        plot.Axes.SetLimits(-0.6, measured.Count - 0.4, low, high);
        var key = keys.Key(measured.Select(v => v.Id));
        ReportPlots.AddKey(plot, key);
        var title = $"Latency per variant ({ReportPlots.LatencyProvenance(measured)})";
        var xLabel = keys.AxisTitle;
        const string yLabel = "latency, ms (log scale)";
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        var samples = counts.Min() == counts.Max() ? $"{counts[0]}" : $"{counts.Min()}–{counts.Max()}";
        return new ReportChart(plot.GetImageBytes(ReportPlots.Width, ReportPlots.Height, ImageFormat.Png), title, xLabel, yLabel)
        {
            Categories = labels,
            Key = key,
            Note = $"box: 25th–75th percentile, line: median, whiskers: 5th–95th percentile of each variant's {samples} recorded samples; "
                + "log scale, so sub-millisecond boxes keep their height"
                + (dropped == 0 ? "" : $"; {dropped} zero, negative or non-finite samples left out"),
        };
    }

    private static bool Usable(double ms) => ms > 0 && double.IsFinite(ms);
}
