using System.Globalization;
using EdgeCompress.Compression.Passes;
using EdgeCompress.Compression.Pruning;

namespace EdgeCompress.Cli.Commands;

/// <summary>What `edgec prune` prints: the per-layer table, totals, warnings (stderr), quality and latency.</summary>
internal static class PruneOutput
{
    public static void Print(CliContext ctx, string input, string output, PassRecord record)
    {
        var w = ctx.Out;
        var settings = string.Join(", ", record.Settings.Select(kv => $"{kv.Key} {kv.Value}"));
        w.WriteLine($"{record.Pass} {input} -> {output} ({settings})");
        var width = Math.Max(5, record.Layers.Select(l => l.Node.Length).DefaultIfEmpty(5).Max());
        var unstructured = record.Pass == "prune-unstructured";
        w.WriteLine(unstructured ? $"{"layer".PadRight(width)}  op       sparsity  action" : $"{"layer".PadRight(width)}  op       params before -> after  action");
        foreach (var l in record.Layers)
        {
            var figures = unstructured
                ? Percent(l.Metrics?.GetValueOrDefault("sparsity")).PadLeft(8)
                : $"{l.ParamsBefore,13:N0} -> {l.ParamsAfter,-6:N0}";
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{l.Node.PadRight(width)}  {l.OpType,-7}  {figures}  {l.Action}"));
        }
        var t = record.Totals;
        if (unstructured)
        {
            w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"weights: {Percent(t["zeros"] / t["weights"])} zero; file {Bytes(t["bytes_before"])} -> {Bytes(t["bytes_after"])}; gzip-compressed {Bytes(t["gzip_bytes_before"])} -> {Bytes(t["gzip_bytes_after"])} ({t["gzip_bytes_after"] / t["gzip_bytes_before"]:0.00}x)"));
        }
        else
        {
            w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"params {t["params_before"]:N0} -> {t["params_after"]:N0} ({t["params_after"] / t["params_before"]:0.00}x); MACs {t["macs_before"]:N0} -> {t["macs_after"]:N0} ({t["macs_after"] / Math.Max(1, t["macs_before"]):0.00}x); file {Bytes(t["bytes_before"])} -> {Bytes(t["bytes_after"])}"));
            if (record.Settings.TryGetValue("bn_recalibrated", out var n))
            {
                w.WriteLine($"BatchNormalization statistics re-estimated in {n} layers");
            }
        }
        foreach (var warning in record.Warnings)
        {
            if (warning == UnstructuredPruningPass.SpeedNote)
            {
                w.WriteLine(warning);
            }
            else
            {
                ctx.Warn(warning);
            }
        }
    }

    public static void PrintLatency(CliContext ctx, LatencyComparison l) =>
        ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"latency (1 thread, batch 1, median of {l.Runs}): {l.BaselineMedianMs:0.000} ms -> {l.CandidateMedianMs:0.000} ms ({l.Speedup:0.00}x faster)"));

    public static string Percent(double? v) => v is null ? "n/a" : string.Create(CultureInfo.InvariantCulture, $"{v.Value * 100:0.00}%");

    private static string Bytes(double b) => b >= 1 << 20
        ? string.Create(CultureInfo.InvariantCulture, $"{b / (1 << 20):0.00} MiB")
        : string.Create(CultureInfo.InvariantCulture, $"{b / 1024:0.0} KiB");
}
