using System.Globalization;
using EdgeCompress.Manifest;
using ScottPlot;

namespace EdgeCompress.Reporting;

/// <summary>
/// Per-layer sensitivity as horizontal bars, most sensitive at the top, layer names on the left where they have room:
/// the worst <see cref="Shown"/> layers, the rest summarised in one line, so a 60-layer study stays readable.
/// </summary>
public static class SensitivityPlot
{
    /// <summary>Layers drawn; the others are summarised in the chart's note.</summary>
    public const int Shown = 20;

    /// <summary>Longest layer name drawn; longer ones keep their end (the most specific part) after an ellipsis.</summary>
    public const int MaxNameCharacters = 40;

    /// <summary>The chart of the variant that recorded sensitivity (the chosen one first), or null when none did.
    /// A higher value means a more sensitive layer.</summary>
    public static ReportChart? Of(OptimizeManifest m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var v = m.Variants.Where(v => v.Sensitivity is { Count: > 0 }).OrderByDescending(v => v.Id == m.Chosen).FirstOrDefault();
        if (v is null)
        {
            return null;
        }
        var ranked = v.Sensitivity!.OrderByDescending(l => l.Value).ToList();
        var shown = ranked.Take(Shown).ToList();
        var rest = ranked.Skip(Shown).ToList();
        var labels = shown.Select(l => Shorten(l.Node)).ToArray();
        // Bar 0 at the top: positions count down.
        var positions = Enumerable.Range(0, shown.Count).Select(i => (double)(shown.Count - 1 - i)).ToArray();
        var plot = ReportPlots.NewPlot();
        var bars = plot.Add.Bars(positions, shown.Select(l => l.Value).ToArray());
        bars.Horizontal = true;
        plot.Axes.Left.SetTicks(positions, labels);
        plot.Axes.Margins(left: 0, right: 0.05);
        plot.Axes.SetLimitsY(-0.6, shown.Count - 0.4);
        var metrics = ranked.Select(l => l.Metric).Distinct(StringComparer.Ordinal).ToList();
        var xLabel = metrics.Count == 1 ? metrics[0] : "sensitivity (metrics differ: " + string.Join("; ", metrics) + ")";
        var title = rest.Count == 0
            ? $"Per-layer sensitivity ({v.Id}, {ranked.Count} layers)"
            : $"Most sensitive {shown.Count} of {ranked.Count} layers ({v.Id})";
        var note = rest.Count == 0 ? null
            : $"+ {rest.Count} more layers, all at or below {RoundUp(rest[0].Value).ToString("G3", CultureInfo.InvariantCulture)}";
        if (note is not null)
        {
            // Below the shortest bar, where a ranked chart has room.
            plot.Add.Annotation(note, Alignment.LowerRight);
        }
        const string yLabel = "layer, most sensitive at the top";
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        var height = Math.Max(ReportPlots.Height, 140 + (22 * shown.Count));
        return new ReportChart(plot.GetImageBytes(ReportPlots.Width, height, ImageFormat.Png), title, xLabel, yLabel)
        {
            Categories = labels,
            Note = note,
        };
    }

    private static string Shorten(string name) =>
        name.Length <= MaxNameCharacters ? name : "…" + name[^(MaxNameCharacters - 1)..];

    /// <summary>Rounded up to three significant digits, so "at or below" stays true of the printed figure.</summary>
    private static double RoundUp(double x)
    {
        if (x == 0 || !double.IsFinite(x))
        {
            return x;
        }
        var scale = Math.Pow(10, Math.Floor(Math.Log10(Math.Abs(x))) - 2);
        return Math.Ceiling(x / scale) * scale;
    }
}
