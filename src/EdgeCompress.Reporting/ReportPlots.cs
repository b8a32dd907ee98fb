using System.Globalization;
using EdgeCompress.Manifest;
using ScottPlot;

namespace EdgeCompress.Reporting;

/// <summary>The report's trade-off and energy charts, drawn with ScottPlot (null when the manifest has no data for
/// that chart); the latency and sensitivity charts are <see cref="LatencyPlot"/> and <see cref="SensitivityPlot"/>.</summary>
public static class ReportPlots
{
    internal const int Width = 760;
    internal const int Height = 440;

    /// <summary>Quality (<see cref="QualityAxis"/>) against p50 latency, the front joined by a line, the chosen variant highlighted.</summary>
    public static ReportChart? QualityVsLatency(OptimizeManifest m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return Tradeoff(m, v => v.Latency?.P50Ms, $"p50 latency, ms ({LatencyProvenance(m.Variants)})", "latency", logWhenWide: true);
    }

    /// <summary>Quality against model file size in MiB.</summary>
    public static ReportChart? QualityVsSize(OptimizeManifest m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return Tradeoff(m, v => v.SizeBytes / (1024.0 * 1024.0), "model file size, MiB", "size", logWhenWide: false);
    }

    /// <summary>Latencies spanning more than this ratio go on a log axis, so the fast variants do not pile up at zero.</summary>
    internal const double LogScaleRatio = 10;

    private static ReportChart? Tradeoff(OptimizeManifest m, Func<ManifestVariant, double?> x, string xLabel, string xName, bool logWhenWide)
    {
        var quality = QualityAxis.Of(m);
        double Y(ManifestVariant v) => quality.Value(v)!.Value;
        var withX = m.Variants.Where(v => x(v) is { } value && double.IsFinite(value)).ToList();
        var points = withX.Where(v => quality.Value(v) is { } y && double.IsFinite(y)).ToList();
        if (points.Count == 0)
        {
            return null;
        }
        var (lo, hi) = (points.Min(v => x(v)!.Value), points.Max(v => x(v)!.Value));
        var log = logWhenWide && lo > 0 && hi / lo > LogScaleRatio;
        double X(ManifestVariant v) => log ? Math.Log10(x(v)!.Value) : x(v)!.Value;
        xLabel = log ? xLabel.Replace(" (", " (log scale; ", StringComparison.Ordinal) : xLabel;
        var keys = VariantKeys.For(m);
        var plot = NewPlot();
        // The front of this chart's two axes (the manifest's Pareto flag is over quality, latency and size together,
        // which does not draw as a line in two dimensions): sorted by x, each point better than all cheaper ones.
        var front = new List<ManifestVariant>();
        foreach (var v in points.OrderBy(v => x(v)).ThenByDescending(Y))
        {
            if (front.Count == 0 || Y(v) > Y(front[^1]))
            {
                front.Add(v);
            }
        }
        var others = points.Except(front).ToList();
        if (others.Count > 0)
        {
            var s = plot.Add.ScatterPoints(others.Select(X).ToArray(), others.Select(Y).ToArray());
            s.MarkerSize = 9;
            s.Color = Colors.Gray;
            s.LegendText = "dominated here";
        }
        var line = plot.Add.Scatter(front.Select(X).ToArray(), front.Select(Y).ToArray());
        line.MarkerSize = 11;
        line.LineWidth = 1.5f;
        line.Color = Colors.C0;
        line.LegendText = $"front ({char.ToLowerInvariant(quality.Name[0])}{quality.Name[1..]} vs {xName})";
        foreach (var v in points)
        {
            var label = plot.Add.Text(v.Id == m.Chosen ? $"{keys.Label(v.Id)} (chosen)" : keys.Label(v.Id), X(v), Y(v));
            label.LabelFontSize = 11;
            label.LabelFontColor = v.Id == m.Chosen ? Colors.DarkGreen : Colors.Black;
            label.LabelBold = v.Id == m.Chosen;
            label.OffsetX = 6;
            label.OffsetY = -4;
        }
        var key = keys.Key(points.Select(v => v.Id));
        AddKey(plot, key);
        var title = $"{quality.Name} vs {xName}" + (m.Data is null ? "" : $" · data: {m.Data}");
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(quality.AxisTitle);
        if (key.Count == 0)
        {
            // Below the plot: inside, it hid the dominated points that sit in the lower right.
            plot.ShowLegend(Edge.Bottom);
        }
        // Room on the right and top for the point labels.
        plot.Axes.Margins(left: 0.08, right: 0.25, bottom: 0.12, top: 0.12);
        if (log)
        {
            var (low, high) = LogScale.Apply(plot.Axes.Bottom, lo, hi);
            plot.Axes.SetLimitsX(low, high + (0.25 * (high - low)));
        }
        var missing = withX.Except(points).Select(v => v.Id).ToList();
        return new ReportChart(plot.GetImageBytes(Width, Height, ImageFormat.Png), title, xLabel, quality.AxisTitle)
        {
            Key = key,
            Note = missing.Count == 0 ? null
                : $"not plotted, no {quality.AxisTitle} recorded: {string.Join(", ", missing)}" + (quality.WhyMissing is null ? "" : $" ({quality.WhyMissing})"),
        };
    }

    /// <summary>Energy per inference per variant, where a power sensor measured it.</summary>
    public static ReportChart? EnergyPerInference(OptimizeManifest m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var withEnergy = m.Variants.Where(v => v.EnergyPerInferenceMillijoules is not null).ToList();
        if (withEnergy.Count == 0)
        {
            return null;
        }
        var keys = VariantKeys.For(m);
        var labels = withEnergy.Select(v => keys.Label(v.Id)).ToArray();
        var plot = NewPlot();
        plot.Add.Bars(withEnergy.Select(v => v.EnergyPerInferenceMillijoules!.Value).ToArray());
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, labels.Length).Select(i => (double)i).ToArray(), labels);
        var key = keys.Key(withEnergy.Select(v => v.Id));
        AddKey(plot, key);
        const string title = "Energy per inference (measured by a power sensor)";
        var xLabel = keys.AxisTitle;
        const string yLabel = "energy per inference, mJ";
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.Axes.Margins(bottom: 0);
        return new ReportChart(plot.GetImageBytes(Width, Height, ImageFormat.Png), title, xLabel, yLabel) { Categories = labels, Key = key };
    }

    /// <summary>Where and how the variants' latencies were taken, e.g. "measured, local, 1 thread", when they agree.</summary>
    internal static string LatencyProvenance(IEnumerable<ManifestVariant> variants)
    {
        var kinds = variants.Select(v => v.Latency).OfType<ManifestLatency>()
            .Select(l => string.Join(", ", new[] { l.Source, l.Where, string.Create(CultureInfo.InvariantCulture, $"{l.Threads} thread{(l.Threads == 1 ? "" : "s")}") }
                .Where(s => s.Length > 0)))
            .Distinct(StringComparer.Ordinal).ToList();
        return kinds.Count == 1 ? kinds[0] : "sources differ, see the table";
    }

    /// <summary>A legend listing what each numbered label stands for, beside the plot.</summary>
    internal static void AddKey(Plot plot, IReadOnlyList<string> key)
    {
        foreach (var line in key)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = line, MarkerStyle = MarkerStyle.None, LineStyle = LineStyle.None });
        }
        if (key.Count > 0)
        {
            plot.ShowLegend(Edge.Right);
        }
    }

    internal static Plot NewPlot()
    {
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans");
        return plot;
    }
}
