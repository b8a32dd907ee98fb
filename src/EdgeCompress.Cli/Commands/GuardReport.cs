using System.Globalization;
using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Data;
using EdgeCompress.Onnx;

namespace EdgeCompress.Cli.Commands;

/// <summary>
/// How quantize, prune and factorize print the quality guard: every output by its own measure (never one pooled
/// figure), accuracy with labels, the user's metric, and the verdict with the measure and budget that decided it.
/// </summary>
internal static class GuardReport
{
    /// <summary>
    /// Prints the guard's block. Returns false when the command must stop: the guard failed and the user set a
    /// budget (the caller then exits 1 without writing). A failure without a budget is printed and warned about.
    /// </summary>
    public static bool Print(CliContext ctx, QualityResult q, QualitySettings settings, string indent = "")
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(settings);
        var w = ctx.Out;
        var c = CultureInfo.InvariantCulture;
        var random = q.Data.StartsWith("synthetic:", StringComparison.Ordinal) ? " (random inputs: shows how far outputs moved, not accuracy)" : "";
        w.WriteLine(string.Create(c, $"{indent}quality vs the original on {q.Data}, {q.Samples} samples{random}:"));
        foreach (var o in q.Outputs)
        {
            w.WriteLine(string.Create(c, $"{indent}  output '{o.Name}': {o.Describe()}"));
        }
        if (q.Top1 is var (a, b))
        {
            var top5 = q.Top5 is var (a5, b5) ? string.Create(c, $"; top-5 {a5:F2}% -> {b5:F2}%") : "";
            w.WriteLine(string.Create(c, $"{indent}  top-1 accuracy {a:F2}% -> {b:F2}% ({b - a:+0.00;-0.00;0.00} pt){top5}"));
        }
        if (q.Metric is var (m0, m1))
        {
            w.WriteLine(string.Create(c, $"{indent}  {settings.Metric?.Name ?? "metric"} {m0:G6} -> {m1:G6}"));
        }
        w.WriteLine(q.Passed
            ? $"{indent}  guard: pass by {q.Basis} ({q.Budget})"
            : $"{indent}  guard: FAIL by {q.Basis}: {q.Failure} ({q.Budget})");
        if (!q.Passed && !settings.Enforced)
        {
            ctx.Warn($"the quality guard fails by {q.Basis}: {q.Failure}; set --max-drop, --min-sqnr or --max-score-diff to make it a budget that stops the command");
        }
        return q.Passed || !settings.Enforced;
    }

    /// <summary>The line printed when no guard could run.</summary>
    public static void PrintNotMeasured(CliContext ctx, string why, QualitySettings settings, string indent = "")
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Enforced || settings.Metric is not null)
        {
            throw new UsageException($"the quality budget needs data to judge on: {why}");
        }
        ctx.Out.WriteLine($"{indent}quality: not measured: {why}");
    }
}
