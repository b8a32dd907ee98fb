using System.Globalization;
using EdgeCompress.Compression.Passes;

namespace EdgeCompress.Cli.Commands;

/// <summary>The per-layer table `edgec factorize` prints: method and rank, weights and MACs before/after, error.</summary>
internal static class FactorizeReport
{
    private static readonly string[] Header = ["node", "op", "action", "params", "MACs", "rel.error"];

    public static void Write(TextWriter o, PassRecord record)
    {
        var rows = new List<string[]> { Header };
        foreach (var l in record.Layers)
        {
            var m = l.Metrics ?? new Dictionary<string, double>();
            var macs = m.TryGetValue("macs_before", out var mb) && m.TryGetValue("macs_after", out var ma) ? $"{Count(mb)} -> {Count(ma)}" : "n/a";
            var err = m.TryGetValue("rel_error", out var e) ? e.ToString("F4", CultureInfo.InvariantCulture) : "-";
            rows.Add([l.Node, l.OpType, l.Action, $"{Count(l.ParamsBefore)} -> {Count(l.ParamsAfter)}", macs, err]);
        }
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var r in rows)
        {
            o.WriteLine(string.Join("  ", r.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
        }
        var t = record.Totals;
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"params {Count(t["params_before"])} -> {Count(t["params_after"])} ({t["params_ratio"]:0.###}x), {t["layers_factorized"]:0} layers factorized"));
        if (t.TryGetValue("layer_macs_before", out var before) && t.TryGetValue("layer_macs_after", out var after) && before > 0)
        {
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"MACs of factorizable layers {Count(before)} -> {Count(after)} ({after / before:0.###}x), batch 1"));
        }
        if (record.Settings.TryGetValue("params_fraction", out _) && record.Settings.TryGetValue("sensitivity", out var sensitivity))
        {
            o.WriteLine($"ranks spread by {sensitivity}");
        }
    }

    private static string Count(double v) => v switch
    {
        >= 1e9 => (v / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + "G",
        >= 1e6 => (v / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + "M",
        >= 1e4 => (v / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + "k",
        _ => v.ToString("0", CultureInfo.InvariantCulture),
    };
}
