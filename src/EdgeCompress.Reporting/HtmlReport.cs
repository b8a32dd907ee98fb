using System.Globalization;
using System.Net;
using System.Text;
using EdgeCompress.Manifest;

namespace EdgeCompress.Reporting;

/// <summary>
/// Writes a self-contained HTML report (plots embedded as PNG data URIs, no external files or scripts) from an
/// output folder's manifest: trade-off plots, latency distribution, energy, sensitivity and the variants table.
/// </summary>
public static class HtmlReport
{
    /// <summary>Renders the report to a string.</summary>
    public static string Render(OptimizeManifest m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>EdgeCompress report</title><style>")
            .Append("body{font-family:DejaVu Sans,Arial,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}")
            .Append("th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f0f0f0}td.l,th.l{text-align:left}")
            .Append("tr.chosen{background:#e6f4e6;font-weight:bold}figure{display:inline-block;margin:0.5em}.note{color:#666;font-size:90%}")
            .Append("</style></head><body>");
        html.Append("<h1>EdgeCompress report</h1><p>")
            .Append(Enc($"Profile: {m.Profile ?? "none"} · data: {m.Data ?? "none"} · written {m.CreatedUtc} by {m.Tool}"))
            .Append("</p>");
        html.Append("<p><b>Chosen:</b> ").Append(Enc(m.Chosen ?? "none met the budget")).Append(m.ChosenReason is null ? "" : " — " + Enc(m.ChosenReason)).Append("</p>");

        html.Append("<h2>Trade-offs</h2>");
        var quality = QualityAxis.Of(m).Name;
        Figure(html, "accuracy-vs-latency", $"{quality} vs latency", ReportPlots.QualityVsLatency(m));
        Figure(html, "accuracy-vs-size", $"{quality} vs size", ReportPlots.QualityVsSize(m));
        html.Append("<h2>Latency distribution</h2>");
        Figure(html, "latency-distribution", "Latency per variant", LatencyPlot.Of(m));
        html.Append("<h2>Power and energy</h2>");
        var energyWhyNot = m.Variants.SelectMany(v => v.Notes).Where(n => n.StartsWith(EnergyNotMeasuredNote, StringComparison.Ordinal))
            .Select(n => n[EnergyNotMeasuredNote.Length..]).Distinct(StringComparer.Ordinal).ToList();
        Figure(html, "energy", "Energy per inference", ReportPlots.EnergyPerInference(m),
            energyWhyNot.Count == 0 ? null : "the benchmark asked for power, but " + string.Join("; ", energyWhyNot));
        html.Append("<h2>Per-layer sensitivity</h2>");
        Figure(html, "sensitivity", "Per-layer sensitivity", SensitivityPlot.Of(m));

        html.Append("<h2>Variants</h2>");
        AppendTable(html, m);
        if (m.Skipped.Count > 0)
        {
            // A candidate that failed or was dropped is part of the result: the reader sees what was tried.
            html.Append("<h2>Candidates not kept</h2><table id=\"not-kept\"><tr><th class=\"l\">candidate</th><th class=\"l\">why</th></tr>");
            foreach (var s in m.Skipped)
            {
                html.Append("<tr><td class=\"l\">").Append(Enc(s.Id)).Append("</td><td class=\"l\">").Append(Enc(s.Reason)).Append("</td></tr>");
            }
            html.Append("</table>");
        }
        html.Append("<p class=\"note\">Latency marked <i>estimated</i> comes from the profile's cost model, not a device; ")
            .Append("<i>measured</i> figures name where they were taken.</p></body></html>");
        return html.ToString();
    }

    /// <summary>Renders and writes the report atomically.</summary>
    public static void Write(OptimizeManifest m, string path)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, Render(m), new UTF8Encoding(false));
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Start of a variant note saying why a benchmark that asked for power got none; the rest is the reason.</summary>
    public const string EnergyNotMeasuredNote = "energy not measured: ";

    private static void Figure(StringBuilder html, string id, string caption, ReportChart? chart, string? whyNoData = null)
    {
        if (chart is null)
        {
            html.Append("<p class=\"note\" id=\"").Append(id).Append("\">").Append(Enc(caption)).Append(": no data recorded for this chart")
                .Append(whyNoData is null ? "" : " (" + Enc(whyNoData) + ")").Append(".</p>");
            return;
        }
        // The caption repeats what the axes measured, so the text of the report says it too (and a screen reader).
        html.Append("<figure id=\"").Append(id).Append("\"><img alt=\"").Append(Enc(chart.Title)).Append("\" src=\"data:image/png;base64,")
            .Append(Convert.ToBase64String(chart.Png)).Append("\"><figcaption>").Append(Enc(chart.Title))
            .Append("<br><span class=\"note\">x: ").Append(Enc(chart.XAxis)).Append(" · y: ").Append(Enc(chart.YAxis)).Append("</span>");
        if (chart.Note is not null)
        {
            html.Append("<br><span class=\"note\">").Append(Enc(chart.Note)).Append("</span>");
        }
        if (chart.Key.Count > 0)
        {
            html.Append("<br><span class=\"note key\">key: ").Append(Enc(string.Join(" · ", chart.Key))).Append("</span>");
        }
        html.Append("</figcaption></figure>");
    }

    private static void AppendTable(StringBuilder html, OptimizeManifest m)
    {
        var baseline = m.Variants.FirstOrDefault(v => v.Id == m.Baseline);
        var measure = WorstOutput.MeasureOf(m);
        html.Append("<table id=\"variants\"><tr><th class=\"l\">variant</th><th class=\"l\">passes</th><th>accuracy %</th><th>Δ points</th><th>size MiB</th>")
            .Append("<th>params</th><th>MACs</th><th>p50 ms</th><th class=\"l\">latency source</th><th>speed-up</th><th>energy mJ</th>")
            .Append("<th class=\"l\">worst output (by ").Append(Enc(WorstOutput.MeasureName(measure))).Append(")</th>")
            .Append("<th class=\"l\">quality guard</th><th>Pareto</th><th>budget</th></tr>");
        foreach (var v in m.Variants)
        {
            html.Append(v.Id == m.Chosen ? "<tr class=\"chosen\">" : "<tr>")
                .Append("<td class=\"l\">").Append(Enc(v.Id)).Append("</td><td class=\"l\">")
                .Append(Enc(v.Passes.Count == 0 ? "—" : string.Join(" → ", v.Passes.Select(p => p.Pass)))).Append("</td>")
                .Append(Cell(v.AccuracyPercent, "F2"))
                .Append(Cell(v.AccuracyPercent - baseline?.AccuracyPercent, "+0.00;-0.00;0.00"))
                .Append(Cell(v.SizeBytes / (1024.0 * 1024.0), "F3"))
                .Append(Cell(v.Parameters, "N0"))
                .Append(Cell(v.Macs, "N0"))
                .Append(Cell(v.Latency?.P50Ms, "F3"))
                .Append("<td class=\"l\">").Append(Enc(v.Latency is null ? "—" : $"{v.Latency.Source} ({v.Latency.Where})")).Append("</td>")
                .Append(Cell(v.SpeedupOver(baseline), "0.00'x'"))
                .Append(Cell(v.EnergyPerInferenceMillijoules, "F3"))
                .Append("<td class=\"l\">").Append(Enc(WorstOutput.Describe(v, measure))).Append("</td>")
                .Append("<td class=\"l\">").Append(Enc(GuardVerdict(v, m))).Append("</td>")
                .Append("<td>").Append(v.Pareto ? "yes" : "").Append("</td><td>").Append(v.MeetsBudget ? "meets" : "misses").Append("</td></tr>");
        }
        html.Append("</table>");
    }

    /// <summary>The quality guard's verdict: the reference, its failure, a pass, or that it was not run (no output figures).</summary>
    private static string GuardVerdict(ManifestVariant v, OptimizeManifest m) =>
        v.Id == m.Baseline ? "reference"
        : v.GuardFailure is { } failure ? "fails: " + failure
        : v.Outputs is { Count: > 0 } ? "passes"
        : "not run";

    private static string Cell(double? value, string format) =>
        "<td>" + (value is null ? "—" : value.Value.ToString(format, CultureInfo.InvariantCulture)) + "</td>";

    private static string Cell(long? value, string format) =>
        "<td>" + (value is null ? "—" : value.Value.ToString(format, CultureInfo.InvariantCulture)) + "</td>";

    private static string Enc(string s) => WebUtility.HtmlEncode(s);
}
