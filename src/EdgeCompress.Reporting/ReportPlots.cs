using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Manifest;
using ScottPlot;

namespace EdgeCompress.Reporting;

/// <summary>The report's charts, drawn with ScottPlot and returned as PNG bytes (null when the manifest has no
/// data for that chart).</summary>
public static class ReportPlots
{
    private const int Width = 760;
    private const int Height = 440;

    /// <summary>Accuracy against p50 latency, Pareto front joined by a line, the chosen variant highlighted.</summary>
    public static byte[]? AccuracyVsLatency(OptimizeManifest m) =>
        Tradeoff(m, v => v.Latency?.P50Ms, "p50 latency (ms)", "Accuracy vs latency");

    /// <summary>Accuracy against file size in MiB.</summary>
    public static byte[]? AccuracyVsSize(OptimizeManifest m) =>
        Tradeoff(m, v => v.SizeBytes / (1024.0 * 1024.0), "model size (MiB)", "Accuracy vs size");

    private static byte[]? Tradeoff(OptimizeManifest m, Func<ManifestVariant, double?> x, string xLabel, string title)
    {
        var points = m.Variants.Where(v => v.AccuracyPercent is not null && x(v) is not null).ToList();
        if (points.Count == 0)
        {
            return null;
        }
        var plot = NewPlot();
        // The front of this chart's two axes (the manifest's Pareto flag is over accuracy, latency and size together,
        // which does not draw as a line in two dimensions): sorted by x, each point more accurate than all cheaper ones.
        var front = new List<ManifestVariant>();
        foreach (var v in points.OrderBy(v => x(v)).ThenByDescending(v => v.AccuracyPercent))
        {
            if (front.Count == 0 || v.AccuracyPercent > front[^1].AccuracyPercent)
            {
                front.Add(v);
            }
        }
        var others = points.Except(front).ToList();
        if (others.Count > 0)
        {
            var s = plot.Add.ScatterPoints(others.Select(v => x(v)!.Value).ToArray(), others.Select(v => v.AccuracyPercent!.Value).ToArray());
            s.MarkerSize = 9;
            s.Color = Colors.Gray;
            s.LegendText = "dominated here";
        }
        var line = plot.Add.Scatter(front.Select(v => x(v)!.Value).ToArray(), front.Select(v => v.AccuracyPercent!.Value).ToArray());
        line.MarkerSize = 11;
        line.LineWidth = 1.5f;
        line.Color = Colors.C0;
        line.LegendText = "front (accuracy vs this axis)";
        foreach (var v in points)
        {
            var label = plot.Add.Text(v.Id == m.Chosen ? $"{v.Id} (chosen)" : v.Id, x(v)!.Value, v.AccuracyPercent!.Value);
            label.LabelFontSize = 11;
            label.LabelFontColor = v.Id == m.Chosen ? Colors.DarkGreen : Colors.Black;
            label.LabelBold = v.Id == m.Chosen;
            label.OffsetX = 6;
            label.OffsetY = -4;
        }
        var sources = points.Select(v => v.Latency?.Source).Where(s => s is not null).Distinct().ToList();
        plot.Title(sources.Count == 1 && xLabel.Contains("latency", StringComparison.Ordinal) ? $"{title} ({sources[0]})" : title);
        plot.XLabel(xLabel);
        plot.YLabel("top-1 accuracy (%)");
        plot.ShowLegend(Alignment.LowerRight);
        // Room on the right and top for the point labels.
        plot.Axes.Margins(left: 0.08, right: 0.25, bottom: 0.12, top: 0.12);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>Latency distribution per variant as box plots (5th-95th percentile whiskers).</summary>
    public static byte[]? LatencyDistribution(OptimizeManifest m)
    {
        var measured = m.Variants.Where(v => v.Latency?.SamplesMs is { Count: > 0 }).ToList();
        if (measured.Count == 0)
        {
            return null;
        }
        var plot = NewPlot();
        var boxes = new List<Box>();
        for (var i = 0; i < measured.Count; i++)
        {
            var s = measured[i].Latency!.SamplesMs!.Order().ToArray();
            boxes.Add(new Box
            {
                Position = i,
                WhiskerMin = Percentiles.OfSorted(s, 5),
                BoxMin = Percentiles.OfSorted(s, 25),
                BoxMiddle = Percentiles.OfSorted(s, 50),
                BoxMax = Percentiles.OfSorted(s, 75),
                WhiskerMax = Percentiles.OfSorted(s, 95),
            });
        }
        plot.Add.Boxes(boxes);
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, measured.Count).Select(i => (double)i).ToArray(), measured.Select(v => v.Id).ToArray());
        plot.Title("Latency distribution per variant (measured)");
        plot.YLabel("latency (ms)");
        plot.Axes.Margins(bottom: 0);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>Energy per inference per variant, where a power sensor measured it.</summary>
    public static byte[]? EnergyPerInference(OptimizeManifest m)
    {
        var withEnergy = m.Variants.Where(v => v.EnergyPerInferenceMillijoules is not null).ToList();
        if (withEnergy.Count == 0)
        {
            return null;
        }
        return Bars(withEnergy.Select(v => v.Id).ToArray(), withEnergy.Select(v => v.EnergyPerInferenceMillijoules!.Value).ToArray(),
            "Energy per inference (measured)", "energy (mJ)");
    }

    /// <summary>Per-layer sensitivity of the variant that recorded it (the chosen one first).</summary>
    public static byte[]? Sensitivity(OptimizeManifest m)
    {
        var v = m.Variants.Where(v => v.Sensitivity is { Count: > 0 }).OrderByDescending(v => v.Id == m.Chosen).FirstOrDefault();
        if (v is null)
        {
            return null;
        }
        var layers = v.Sensitivity!.Take(40).ToList();
        return Bars(layers.Select(l => l.Node).ToArray(), layers.Select(l => l.Value).ToArray(),
            $"Per-layer sensitivity ({v.Id})", layers[0].Metric);
    }

    private static byte[] Bars(string[] labels, double[] values, string title, string yLabel)
    {
        var plot = NewPlot();
        plot.Add.Bars(values);
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, labels.Length).Select(i => (double)i).ToArray(), labels);
        if (labels.Length > 6)
        {
            plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
            plot.Axes.Bottom.MinimumSize = 120;
        }
        plot.Title(title);
        plot.YLabel(yLabel);
        plot.Axes.Margins(bottom: 0);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    private static Plot NewPlot()
    {
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans");
        return plot;
    }
}
