using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Passes;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Quantization;

/// <summary>How sensitive one layer is: the output error when only it is quantized.</summary>
/// <param name="Node">The layer.</param>
/// <param name="RelativeError">Mean squared output error divided by the mean squared float output.</param>
public sealed record LayerSensitivity(string Node, double RelativeError);

/// <summary>Outcome of a guarded run.</summary>
/// <param name="Best">The model kept: the first that passed the guard, else the best one tried.</param>
/// <param name="Met">True when the kept model passes the guard.</param>
/// <param name="Quality">The kept model judged against the float model.</param>
/// <param name="Sensitivity">Per-layer sensitivity, most sensitive first (empty when the full model passed).</param>
/// <param name="KeptFloat">Layers the guard kept in float.</param>
/// <param name="Why">When the guard was not met: why, in one sentence.</param>
public sealed record GuardOutcome(PassResult Best, bool Met, QualityResult Quality,
    IReadOnlyList<LayerSensitivity> Sensitivity, IReadOnlyList<string> KeptFloat, string? Why);

/// <summary>
/// Holds a quantized model to the quality guard (<see cref="QualityCheck"/>: top-1 drop on labelled data, the
/// user's metric, or every output by its own measure): quantize all; if the guard fails, rank layers by sensitivity
/// (quantize one layer at a time, measure the output error) and keep the most sensitive ones float, one more at a
/// time, until the guard passes.
/// </summary>
public static class AccuracyGuard
{
    /// <summary>Rows used to rank layer sensitivity (output error needs far fewer rows than accuracy).</summary>
    public const int SensitivityRows = 256;

    /// <summary>Runs the guarded quantization of a prepared float model; <paramref name="judge"/> compares a
    /// quantized model with the float one, and <paramref name="evaluation"/> feeds the sensitivity ranking.</summary>
    public static GuardOutcome Run(OnnxModel prepared, QuantizationOptions options, CalibrationResult? calibration, DataSpec evaluation,
        Func<OnnxModel, QualityResult> judge, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(evaluation);
        ArgumentNullException.ThrowIfNull(judge);
        var full = QuantizationPipeline.Quantize(prepared, options, calibration, null, cancellationToken);
        var fullQuality = judge(full.Model);
        progress?.Report($"quality guard: all layers int8: {(fullQuality.Passed ? "passes" : fullQuality.Failure)}");
        if (fullQuality.Passed)
        {
            return new GuardOutcome(full, true, fullQuality, [], [], null);
        }
        var layers = full.Record.Layers.Where(l => l.Action.StartsWith("quantized", StringComparison.Ordinal)).Select(l => l.Node).ToList();
        var ranking = Rank(prepared, options, calibration, evaluation, layers, progress, cancellationToken);
        var best = (Result: full, Quality: fullQuality, Kept: new List<string>());
        for (var k = 1; k < ranking.Count; k++)
        {
            var kept = ranking.Take(k).Select(r => r.Node).ToList();
            var trial = QuantizationPipeline.Quantize(prepared, WithExcluded(options, kept), calibration, null, cancellationToken);
            var quality = judge(trial.Model);
            progress?.Report($"quality guard: {k} most sensitive layer(s) float: {(quality.Passed ? "passes" : quality.Failure)}");
            if (quality.Score > best.Quality.Score)
            {
                best = (trial, quality, kept);
            }
            if (quality.Passed)
            {
                return new GuardOutcome(trial, true, quality, ranking, kept, null);
            }
        }
        var why = $"with up to {Math.Max(0, ranking.Count - 1)} of {ranking.Count} quantized layers kept float no model passed ({best.Quality.Budget}); "
            + $"the best ({best.Kept.Count} kept float) fails: {best.Quality.Failure}";
        return new GuardOutcome(best.Result, false, best.Quality, ranking, best.Kept, why);
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
        // Every output counts, each relative to its own power: a small score head next to a large feature map is
        // judged by its own error, not drowned by the map's (the layer's sensitivity is its worst output's error).
        var expected = samples.Select(s => reference.Run(s).Select(o => o.Values).ToList()).ToList();
        var outputs = expected.Count == 0 ? 0 : expected[0].Count;
        var power = Enumerable.Range(0, outputs)
            .Select(k => expected.Sum(e => e[k].Sum(v => (double)v * v)) / Math.Max(1, expected.Sum(e => e[k].Length))).ToArray();
        var result = new List<LayerSensitivity>(layers.Count);
        for (var i = 0; i < layers.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var others = layers.Where((_, j) => j != i).ToList();
            var single = QuantizationPipeline.Quantize(prepared, WithExcluded(options, others), calibration, null, cancellationToken);
            using var runner = ModelRunner.Create(single.Model, layers[i]);
            var f = Enumerable.Range(0, outputs).Select(_ => new Fidelity()).ToArray();
            for (var s = 0; s < samples.Count; s++)
            {
                var got = runner.Run(samples[s]);
                for (var k = 0; k < outputs; k++)
                {
                    f[k].Add(expected[s][k], got[k].Values);
                }
            }
            var error = Enumerable.Range(0, outputs).Select(k => power[k] > 0 ? f[k].MeanSquaredError / power[k] : f[k].MeanSquaredError).DefaultIfEmpty(0).Max();
            result.Add(new LayerSensitivity(layers[i], error));
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

    private static QuantizationOptions WithExcluded(QuantizationOptions o, IEnumerable<string> more) => o.WithExcluded(o.Exclude.Concat(more));
}
