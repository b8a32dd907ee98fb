using System.Globalization;
using EdgeCompress.Manifest;
using EdgeCompress.Compression.Search;

namespace EdgeCompress.Cli.Commands;

/// <summary>The table `edgec optimize` ends with: one row per variant, the chosen one marked.</summary>
internal static class OptimizeSummary
{
    public static void Print(CliContext ctx, OptimizeOutcome outcome)
    {
        var m = ManifestFile.Load(outcome.ManifestPath);
        var baseline = m.Variants.FirstOrDefault(v => v.Id == m.Baseline);
        var w = ctx.Out;
        w.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"variant",-22} {(m.Metric is null ? "accuracy" : "metric"),9} {"Δ pts",7} {"size KiB",9} {"p50 ms",8} {"speed-up",8}  {"latency",-10} {"pareto",-6} budget"));
        foreach (var v in m.Variants)
        {
            // With a --metric-command its value decides, so it is what the table shows.
            var score = m.Metric is null ? v.AccuracyPercent : v.MetricValue;
            var reference = m.Metric is null ? baseline?.AccuracyPercent : baseline?.MetricValue;
            var acc = score is { } a ? a.ToString("F2", CultureInfo.InvariantCulture) : "-";
            var delta = score is { } a2 && reference is { } b ? (a2 - b).ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture) : "-";
            var speed = v.SpeedupOver(baseline) is { } s ? s.ToString("F2", CultureInfo.InvariantCulture) + "x" : "-";
            w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{(v.Id == m.Chosen ? "* " : "  ") + v.Id,-22} {acc,9} {delta,7} {v.SizeBytes / 1024.0,9:F1} {v.Latency?.P50Ms ?? double.NaN,8:F3} {speed,8}  {v.Latency?.Source ?? "-",-10} {(v.Pareto ? "yes" : ""),-6} {(v.MeetsBudget ? "meets" : "misses")}"));
        }
        foreach (var v in m.Variants.Where(v => v.GuardFailure is not null))
        {
            w.WriteLine($"  guard: {v.Id} fails: {v.GuardFailure}");
        }
        foreach (var v in m.Variants.Where(v => v.NotChosenBecause is not null))
        {
            w.WriteLine($"  not chosen: {v.Id}: {v.NotChosenBecause}");
        }
        foreach (var s in m.Skipped)
        {
            w.WriteLine($"  skipped {s.Id}: {s.Reason}");
        }
        if (m.Metric is not null)
        {
            w.WriteLine($"  metric: {m.Metric} ({(m.MetricHigherIsBetter == false ? "lower" : "higher")} is better)");
        }
        w.WriteLine(m.Chosen is null ? $"no variant met the budget: {m.ChosenReason}" : $"chosen: {m.Chosen} ({m.ChosenReason})");
        w.WriteLine($"wrote {outcome.ManifestPath}");
    }
}
