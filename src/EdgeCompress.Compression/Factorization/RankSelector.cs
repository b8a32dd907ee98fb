using EdgeCompress.Onnx;
using System.Globalization;

namespace EdgeCompress.Compression.Factorization;

/// <summary>The ranks chosen for a layer, or why it stays dense.</summary>
internal sealed record RankChoice(int[]? Ranks, string? KeptReason);

/// <summary>
/// Turns the rank-selection setting into ranks per layer: energy kept, VBMF estimate or fixed ranks per layer,
/// or, for a parameter target, a greedy spread that repeatedly takes the rank step costing the least error per
/// weight saved anywhere in the model. That error is the output error measured on calibration data when there is
/// some (<see cref="OutputSensitivity"/>), else the weight's predicted relative error (data-free). Within a layer
/// the steps always follow the weight error (which rank of a Tucker pair to cut). Ranks are rounded up to the
/// round-to multiple, and a layer is only factorized when it saves at least the minimum fraction of its weights.
/// </summary>
internal static class RankSelector
{
    public static Dictionary<LayerPlan, RankChoice> Choose(IReadOnlyList<LayerPlan> plans, FactorizeOptions options, long modelParams, List<string> warnings,
        OutputSensitivity? sensitivity = null)
    {
        if (options.Selection == RankSelection.ParamsFraction)
        {
            Func<LayerPlan, int[], double> error = sensitivity is null ? (p, r) => p.PredictedError(r) : sensitivity.Error;
            return Greedy(plans, options, modelParams, warnings, error);
        }
        var choices = new Dictionary<LayerPlan, RankChoice>();
        foreach (var plan in plans)
        {
            int[] ranks;
            switch (options.Selection)
            {
                case RankSelection.Energy:
                    ranks = plan.EnergyRanks(options.Energy);
                    break;
                case RankSelection.Auto:
                    ranks = plan.AutoRanks();
                    break;
                default:
                    var named = options.NodeRanks.TryGetValue(plan.Label, out var r) || options.NodeRanks.TryGetValue(plan.Node.Name, out r);
                    if (!named && options.Rank is null)
                    {
                        choices[plan] = new RankChoice(null, "no rank given for this node");
                        continue;
                    }
                    var rank = named ? r : options.Rank!.Value;
                    var max = plan.MaxRanks.Min();
                    if (rank > max)
                    {
                        var message = $"node '{plan.Label}': rank {rank} is larger than this {plan.Method} layer allows ({max})";
                        if (named)
                        {
                            throw new InputException($"--rank {plan.Label}={rank}: " + message[(message.IndexOf(':', StringComparison.Ordinal) + 2)..]);
                        }
                        warnings.Add(message + "; left dense");
                        choices[plan] = new RankChoice(null, $"rank {rank} > {max}");
                        continue;
                    }
                    ranks = plan.MaxRanks.Select(_ => rank).ToArray();
                    break;
            }
            ranks = RoundUp(ranks, plan.MaxRanks, options.RoundTo);
            choices[plan] = Worthwhile(plan, ranks, options)
                ? new RankChoice(ranks, null)
                : new RankChoice(null, $"rank {LayerPlan.Text(ranks)} would keep {Percent((double)plan.Params(ranks) / plan.DenseParams)} of the weights");
        }
        return choices;
    }

    private static bool Worthwhile(LayerPlan plan, int[] ranks, FactorizeOptions options) =>
        plan.Params(ranks) <= (1 - options.MinSaving) * plan.DenseParams;

    private static int[] RoundUp(int[] ranks, int[] max, int multiple) =>
        ranks.Select((r, i) => Math.Min(max[i], ((r + multiple - 1) / multiple) * multiple)).ToArray();

    private static string Percent(double f) => f.ToString("P0", CultureInfo.InvariantCulture);

    /// <summary>The ranks the search walks for one layer: from the largest (multiples of the step) down, one
    /// cheapest step at a time, until every rank is 1.</summary>
    public static List<int[]> Path(LayerPlan plan, int step)
    {
        var path = new List<int[]>();
        int[]? ranks = plan.MaxRanks.Select(m => Math.Max(1, m / step * step)).ToArray();
        while (ranks is not null)
        {
            path.Add(ranks);
            ranks = BestStep(plan, ranks, step);
        }
        return path;
    }

    private static Dictionary<LayerPlan, RankChoice> Greedy(IReadOnlyList<LayerPlan> plans, FactorizeOptions options, long modelParams, List<string> warnings,
        Func<LayerPlan, int[], double> error)
    {
        var step = options.RoundTo;
        var target = options.ParamsFraction * modelParams;
        double current = modelParams;
        var state = new Dictionary<LayerPlan, int[]?>();
        var entries = new Dictionary<LayerPlan, int[]?>();
        foreach (var plan in plans)
        {
            state[plan] = null;
            entries[plan] = Entry(plan, options);
        }
        while (current > target)
        {
            LayerPlan? best = null;
            int[]? bestRanks = null;
            double bestRatio = double.MaxValue, bestSaved = 0;
            // A move that alone reaches the target ends the search: among those, the one costing least in absolute
            // error wins, so a cheap-per-parameter but huge last step (rank 8 -> 1) cannot overshoot the target.
            LayerPlan? finisher = null;
            int[]? finisherRanks = null;
            double finisherCost = double.MaxValue, finisherSaved = 0;
            foreach (var plan in plans)
            {
                var from = state[plan];
                var move = from is null ? entries[plan] : BestStep(plan, from, step);
                if (move is null)
                {
                    continue;
                }
                double saved = (from is null ? plan.DenseParams : plan.Params(from)) - plan.Params(move);
                var cost = error(plan, move) - (from is null ? 0 : error(plan, from));
                var ratio = Math.Max(0, cost) / saved;
                if (saved > 0 && ratio < bestRatio)
                {
                    (best, bestRanks, bestRatio, bestSaved) = (plan, move, ratio, saved);
                }
                if (saved > 0 && current - saved <= target && Math.Max(0, cost) < finisherCost)
                {
                    (finisher, finisherRanks, finisherCost, finisherSaved) = (plan, move, Math.Max(0, cost), saved);
                }
            }
            if (finisher is not null && best is not null && current - bestSaved <= target)
            {
                (best, bestRanks, bestSaved) = (finisher, finisherRanks, finisherSaved);
            }
            if (best is null)
            {
                warnings.Add($"parameter target {Percent(options.ParamsFraction)} not reachable: every factorizable layer is at rank 1; got {Percent(current / modelParams)}");
                break;
            }
            state[best] = bestRanks;
            current -= bestSaved;
        }
        return plans.ToDictionary(p => p, p => state[p] is { } r
            ? new RankChoice(r, null)
            : new RankChoice(null, entries[p] is null ? "cannot save the minimum fraction of weights at any rank" : "not needed for the parameter target"));
    }

    // The first state worth factorizing: from the largest ranks (multiples of the step), take the cheapest steps
    // until the layer saves the minimum fraction of its weights.
    private static int[]? Entry(LayerPlan plan, FactorizeOptions options)
    {
        // Multiples of the step where the layer is wide enough; a rank below one step stays as it is.
        var ranks = plan.MaxRanks.Select(m => m >= options.RoundTo ? m / options.RoundTo * options.RoundTo : Math.Max(1, m)).ToArray();
        while (!Worthwhile(plan, ranks, options))
        {
            var next = BestStep(plan, ranks, options.RoundTo);
            if (next is null)
            {
                return null;
            }
            ranks = next;
        }
        return ranks;
    }

    private static int[]? BestStep(LayerPlan plan, int[] ranks, int step)
    {
        int[]? best = null;
        var bestRatio = double.MaxValue;
        for (var i = 0; i < ranks.Length; i++)
        {
            // Never below one step (rank 8 -> 1 is not a device-friendly width), nor below 1.
            var floor = Math.Max(1, Math.Min(step, plan.MaxRanks[i]));
            if (ranks[i] - step < floor)
            {
                continue;
            }
            var next = (int[])ranks.Clone();
            next[i] = ranks[i] - step;
            double saved = plan.Params(ranks) - plan.Params(next);
            if (saved <= 0)
            {
                continue;
            }
            var ratio = Math.Max(0, plan.PredictedError(next) - plan.PredictedError(ranks)) / saved;
            if (ratio < bestRatio)
            {
                (best, bestRatio) = (next, ratio);
            }
        }
        return best;
    }
}
