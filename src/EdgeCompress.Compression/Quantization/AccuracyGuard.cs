using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Passes;
using EdgeCompress.Compression.Runtime;
using EdgeCompress.Data;
using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Quantization;

/// <summary>How sensitive one layer is: the output error when only it is quantized.</summary>
/// <param name="Node">The layer.</param>
/// <param name="RelativeError">Mean squared output error divided by the mean squared float output.</param>
public sealed record LayerSensitivity(string Node, double RelativeError);

/// <summary>Outcome of a guarded run.</summary>
/// <param name="Best">The model kept: the first that met the budget, else the most accurate one tried.</param>
/// <param name="Met">True when the accuracy drop is within the budget.</param>
/// <param name="FloatTop1Percent">Top-1 of the float model.</param>
/// <param name="BestTop1Percent">Top-1 of the kept model.</param>
/// <param name="Sensitivity">Per-layer sensitivity, most sensitive first (empty when the full model met the budget).</param>
/// <param name="KeptFloat">Layers the guard kept in float.</param>
/// <param name="Why">When the budget was missed: why, in one sentence.</param>
public sealed record GuardOutcome(PassResult Best, bool Met, double FloatTop1Percent, double BestTop1Percent,
    IReadOnlyList<LayerSensitivity> Sensitivity, IReadOnlyList<string> KeptFloat, string? Why);

/// <summary>
/// Holds a quantized model to an accuracy budget (maximum drop in top-1 points on labelled data): quantize all; if
/// the drop is too large, rank layers by sensitivity (quantize one layer at a time, measure the output error) and
/// keep the most sensitive ones float, one more at a time, until the budget holds.
/// </summary>
public static class AccuracyGuard
{
    /// <summary>Rows used to rank layer sensitivity (output error needs far fewer rows than accuracy).</summary>
    public const int SensitivityRows = 256;

    /// <summary>Runs the guarded quantization of a prepared float model.</summary>
    public static GuardOutcome Run(OnnxModel prepared, QuantizationOptions options, CalibrationResult? calibration, DataSpec evaluation,
        double budgetPoints, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(evaluation);
        if (!evaluation.IsLabelled)
        {
            throw new DataException($"data spec '{evaluation.Text}' has no labels; an accuracy budget needs labelled data");
        }
        double floatTop1;
        using (var runner = ModelRunner.Create(prepared, "float model"))
        {
            floatTop1 = ModelEvaluator.Top1(runner, evaluation, cancellationToken: cancellationToken);
        }
        var full = QuantizationPipeline.Quantize(prepared, options, calibration, null, cancellationToken);
        var fullTop1 = Top1(full.Model, evaluation, cancellationToken);
        progress?.Report($"accuracy guard: float {floatTop1:F2} %, all layers int8 {fullTop1:F2} % (budget {budgetPoints:F2} pt)");
        if (floatTop1 - fullTop1 <= budgetPoints)
        {
            return new GuardOutcome(full, true, floatTop1, fullTop1, [], [], null);
        }
        var layers = full.Record.Layers.Where(l => l.Action.StartsWith("quantized", StringComparison.Ordinal)).Select(l => l.Node).ToList();
        var ranking = Rank(prepared, options, calibration, evaluation, layers, progress, cancellationToken);
        var best = (Result: full, Top1: fullTop1, Kept: new List<string>());
        for (var k = 1; k < ranking.Count; k++)
        {
            var kept = ranking.Take(k).Select(r => r.Node).ToList();
            var trial = QuantizationPipeline.Quantize(prepared, WithExcluded(options, kept), calibration, null, cancellationToken);
            var top1 = Top1(trial.Model, evaluation, cancellationToken);
            progress?.Report($"accuracy guard: {k} most sensitive layer(s) float -> {top1:F2} %");
            if (top1 > best.Top1)
            {
                best = (trial, top1, kept);
            }
            if (floatTop1 - top1 <= budgetPoints)
            {
                return new GuardOutcome(trial, true, floatTop1, top1, ranking, kept, null);
            }
        }
        var why = $"with up to {Math.Max(0, ranking.Count - 1)} of {ranking.Count} quantized layers kept float the best drop is "
            + $"{floatTop1 - best.Top1:F2} pt (float {floatTop1:F2} %, best {best.Top1:F2} %), above the {budgetPoints:F2} pt budget";
        return new GuardOutcome(best.Result, false, floatTop1, best.Top1, ranking, best.Kept, why);
    }

    /// <summary>
    /// Per-layer sensitivity of a quantized model: for each layer <paramref name="quantized"/> made int8, the relative
    /// output error (MSE / output power, on <see cref="SensitivityRows"/> rows of <paramref name="data"/>) when only that
    /// layer is int8. Most sensitive first. For the search's manifest and the report's sensitivity chart.
    /// </summary>
    public static IReadOnlyList<LayerSensitivity> RankLayers(OnnxModel prepared, PassResult quantized, QuantizationOptions options,
        CalibrationResult? calibration, DataSpec data, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        ArgumentNullException.ThrowIfNull(quantized);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(data);
        var layers = quantized.Record.Layers.Where(l => l.Action.StartsWith("quantized", StringComparison.Ordinal)).Select(l => l.Node).ToList();
        return Rank(prepared, options, calibration, data, layers, progress, cancellationToken);
    }

    private static List<LayerSensitivity> Rank(OnnxModel prepared, QuantizationOptions options, CalibrationResult? calibration, DataSpec data,
        List<string> layers, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        using var reference = ModelRunner.Create(prepared, "float model");
        var samples = data.Open(reference.Inputs, 64).TakeWhileRows(SensitivityRows).ToList();
        var expected = samples.Select(s => reference.Run(s)[0].Values).ToList();
        var power = expected.Sum(e => e.Sum(v => (double)v * v)) / Math.Max(1, expected.Sum(e => e.Length));
        var result = new List<LayerSensitivity>(layers.Count);
        for (var i = 0; i < layers.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var others = layers.Where((_, j) => j != i).ToList();
            var single = QuantizationPipeline.Quantize(prepared, WithExcluded(options, others), calibration, null, cancellationToken);
            using var runner = ModelRunner.Create(single.Model, layers[i]);
            var f = new Fidelity();
            for (var s = 0; s < samples.Count; s++)
            {
                f.Add(expected[s], runner.Run(samples[s])[0].Values);
            }
            result.Add(new LayerSensitivity(layers[i], power > 0 ? f.MeanSquaredError / power : f.MeanSquaredError));
            progress?.Report($"sensitivity {i + 1}/{layers.Count}: {layers[i]} relative error {result[^1].RelativeError:E2}");
        }
        return result.OrderByDescending(r => r.RelativeError).ToList();
    }

    private static IEnumerable<Sample> TakeWhileRows(this IEnumerable<Sample> samples, int rows)
    {
        var seen = 0;
        foreach (var s in samples)
        {
            if (seen >= rows)
            {
                yield break;
            }
            seen += s.Labels?.Length ?? 1;
            yield return s;
        }
    }

    private static QuantizationOptions WithExcluded(QuantizationOptions o, IEnumerable<string> more) => new()
    {
        Mode = o.Mode,
        Method = o.Method,
        Percentile = o.Percentile,
        PerChannel = o.PerChannel,
        Activations = o.Activations,
        ReduceRange = o.ReduceRange,
        Exclude = new HashSet<string>(o.Exclude.Concat(more), StringComparer.Ordinal),
    };

    private static double Top1(OnnxModel model, DataSpec data, CancellationToken cancellationToken)
    {
        using var runner = ModelRunner.Create(model, "quantized model");
        return ModelEvaluator.Top1(runner, data, cancellationToken: cancellationToken);
    }
}
