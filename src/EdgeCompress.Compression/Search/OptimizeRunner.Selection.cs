using EdgeCompress.Manifest;

namespace EdgeCompress.Compression.Search;

/// <summary>How the search judges and chooses: budgets, the Pareto set, the balanced choice.</summary>
public sealed partial class OptimizeRunner
{
    /// <summary>Balanced gains within this fraction of the best one are a tie, won by the faster variant.</summary>
    public const double GainTieFraction = 0.05;

    /// <summary>
    /// Marks budget compliance and the Pareto set, and picks, within the budget, the variant whose smaller gain over
    /// the baseline (speed-up or size reduction) is largest; near-ties (<see cref="GainTieFraction"/>) go to the
    /// faster one. Without a baseline latency: the fastest.
    /// </summary>
    public static void Select(OptimizeManifest manifest, OptimizeOptions options)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(options);
        var budgets = options.Profile.Budgets;
        var maxDrop = options.MaxAccuracyDropPoints ?? budgets.MaxAccuracyDropPoints;
        manifest.Budget = new ManifestBudget { MaxAccuracyDropPoints = maxDrop, MaxModelMb = budgets.MaxModelMb, TargetLatencyMs = budgets.TargetLatencyMs };
        var baseline = manifest.Variants.FirstOrDefault(v => v.Id == manifest.Baseline);
        var metric = options.Metric;
        manifest.Metric = metric?.Template;
        manifest.MetricHigherIsBetter = metric?.HigherIsBetter;
        var byMetric = metric is not null && baseline?.MetricValue is not null;
        double Score(ManifestVariant v) => byMetric && v.MetricValue is { } mv ? (metric!.HigherIsBetter ? mv : -mv)
            : v.AccuracyPercent ?? (100.0 * (v.FidelityCosine ?? 0));
        // Without labels the guard judges every output by its own measure, the worst one deciding: decisions (a
        // score's threshold, argmax) may disagree on at most maxDrop percent of samples.
        var limits = options.GuardLimits with { MaxDisagreementPoints = maxDrop };
        foreach (var v in manifest.Variants)
        {
            // With labels accuracy decides (the per-output figures are still recorded); without, the worst output.
            var labelled = v.AccuracyPercent is not null && baseline?.AccuracyPercent is not null;
            v.GuardFailure = v.Id == manifest.Baseline ? null
                : byMetric ? MetricFailure(metric!, baseline!.MetricValue!.Value, v.MetricValue, maxDrop)
                : labelled ? (baseline!.AccuracyPercent - v.AccuracyPercent > maxDrop + 1e-9
                    ? string.Create(System.Globalization.CultureInfo.InvariantCulture,
                        $"top-1 {baseline.AccuracyPercent:F2}% -> {v.AccuracyPercent:F2}%: {baseline.AccuracyPercent - v.AccuracyPercent:F2} pt lost, more than the {maxDrop:G4} pt allowed")
                    : null)
                : v.Outputs is { Count: > 0 } outs ? Evaluation.OutputGuard.Failure(outs, limits) : null;
            var accuracyOk = baseline is null || (byMetric || labelled || v.Outputs is { Count: > 0 } ? v.GuardFailure is null : (v.FidelityCosine ?? 0) >= 0.99);
            // Never chosen when measured slower than the baseline (a board's int8 kernels can lose to float): smaller
            // is no reason to ship a slower model. Estimates are not held to this; they are labelled as estimates.
            var speedup = baseline is null || v.Id == manifest.Baseline || v.Latency?.Source != "measured" ? null : v.SpeedupOver(baseline);
            v.NotChosenBecause = speedup < 1
                ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"measured {speedup:F2}x: slower than the baseline ({v.Latency!.Where})")
                : null;
            v.MeetsBudget = accuracyOk
                && v.SizeBytes <= budgets.MaxModelMb * 1024 * 1024
                && (v.Latency is null || v.Latency.P50Ms <= budgets.TargetLatencyMs);
        }
        // Latency compared through the same-run speed-up where there is one: the baseline's median over it.
        double Effective(ManifestVariant v) => baseline?.Latency is { P50Ms: > 0 } bl && v.SpeedupOver(baseline) is { } s ? bl.P50Ms / s : v.Latency!.P50Ms;
        var points = manifest.Variants.Where(v => v.Latency is not null)
            .Select(v => new TradeoffPoint(v.Id, Score(v), Effective(v), v.SizeBytes)).ToList();
        var front = ParetoFront.Of(points);
        foreach (var v in manifest.Variants)
        {
            v.Pareto = front.Contains(v.Id);
        }
        // Balanced: the variant whose smaller gain over the baseline (speed-up or size reduction) is largest, so
        // neither is traded away for a few percent of the other (a pruned model and its int8 copy run about as fast
        // on hosts without VNNI but are 4x apart in size). Gains within GainTieFraction are a tie, won by the faster.
        var inBudget = manifest.Variants.Where(v => v.MeetsBudget && v.NotChosenBecause is null && v.Latency is not null).ToList();
        double Gain(ManifestVariant v) => baseline?.Latency is { P50Ms: > 0 } bl && baseline.SizeBytes > 0 && v.SizeBytes > 0
            ? Math.Min(bl.P50Ms / Effective(v), (double)baseline.SizeBytes / v.SizeBytes)
            : 1 / Effective(v);
        var top = inBudget.Count == 0 ? 0 : inBudget.Max(Gain);
        var best = inBudget.Where(v => Gain(v) >= top * (1 - GainTieFraction)).OrderBy(Effective).ThenBy(v => v.SizeBytes).FirstOrDefault();
        manifest.Chosen = best?.Id;
        manifest.ChosenReason = best is null
            ? $"no variant met the budget (accuracy drop <= {maxDrop} points, size <= {budgets.MaxModelMb} MiB, p50 <= {budgets.TargetLatencyMs} ms)"
            : $"best balance within the budget (largest smaller gain of speed-up and size reduction; within {GainTieFraction * 100:0}%, the faster): p50 {best.Latency!.P50Ms:F3} ms ({best.Latency.Source}), "
              + (byMetric && best.MetricValue is { } bm ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{metric!.Name} {bm:G6} (baseline {baseline!.MetricValue:G6}), ") : "")
              + (best.AccuracyPercent is { } a && baseline?.AccuracyPercent is { } b ? $"accuracy {a:F2}% ({a - b:+0.00;-0.00} points), " : "")
              + $"{best.SizeBytes / 1024.0:F0} KiB"
              + (baseline is not null && best.Id != baseline.Id ? $", {(double)baseline.SizeBytes / best.SizeBytes:F1}x smaller and {best.SpeedupOver(baseline):F2}x faster than the baseline"
                + (best.Latency.SpeedupVsBaseline is null ? "" : " (timed interleaved with it)") : "");
    }

    private static string? MetricFailure(Evaluation.MetricCommand metric, double baseline, double? value, double maxDrop)
    {
        if (value is not { } v)
        {
            return $"{metric.Name} was not measured on this variant";
        }
        var drop = metric.Drop(baseline, v);
        return drop > maxDrop + 1e-12
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{metric.Name} {baseline:G6} -> {v:G6}: worse by {drop:G4}, more than the {maxDrop:G4} allowed")
            : null;
    }
}
