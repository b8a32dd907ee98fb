using EdgeCompress.Compression.Factorization;
using EdgeCompress.Compression.Passes;
using EdgeCompress.Compression.Pruning;
using EdgeCompress.Compression.Quantization;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Calibration;

namespace EdgeCompress.Compression.Search;

/// <summary>
/// The passes of this build, by the names recipes use: quantize-static, quantize-dynamic, prune-channels,
/// prune-unstructured, factorize, distill-student. Fine-tuning after pruning or factorization goes through an optional
/// <see cref="IPruneFineTuner"/> (the training worker); without one, steps asking for it run without and say so.
/// Students need an <see cref="IStudentTrainer"/> and fine-tuning data; without them a student step is refused.
/// </summary>
public static class DefaultPasses
{
    /// <summary>The registry of every pass, with a fine-tuner and a student trainer when training is available.</summary>
    public static PassRegistry Registry(IPruneFineTuner? fineTuner = null, IStudentTrainer? students = null) => new PassRegistry()
        .Register<QuantizeStaticStep>((s, c) => new QuantizeStep(s.ToOptions(), c.CalibrationSpec is null ? null : c.Spec(c.CalibrationSpec), s.Pass, s.Sensitivity))
        .Register<QuantizeDynamicStep>((s, c) => new QuantizeStep(s.ToOptions(), null, s.Pass, sensitivity: false))
        .Register<PruneChannelsStep>((s, c) => new FineTuned(new ChannelPruningPass(s.ToOptions(c.CalibrationSpec is null ? null : c.Spec(c.CalibrationSpec))),
            s.FineTune ? fineTuner : null, s.FineTune, c))
        .Register<PruneUnstructuredStep>((s, c) => new UnstructuredPruningPass(s.ToOptions()))
        .Register<FactorizeStep>((s, c) => new FineTuned(new FactorizePass(s.ToOptions(s.Selection == RankSelection.ParamsFraction ? FactorCalibration(c) : null)), s.FineTune ? fineTuner : null, s.FineTune, c))
        .Register<DistillStudentStep>((s, c) => new DistillStudentPass(
            students ?? throw new InputException("recipe step distill-student needs the training worker"),
            s.Arch,
            s.Epochs,
            c.Spec(c.FineTuneSpec ?? throw new InputException("recipe step distill-student needs fine-tuning data (--finetune SPEC)"))));

    /// <summary>
    /// Calibration for factorize's rank spread: it holds every sample in memory and runs each about 11 times per layer,
    /// so a whole Fashion-MNIST split is cut to 256 images (what the factorization study used).
    /// </summary>
    private static DataSpec? FactorCalibration(PassContext context)
    {
        if (context.CalibrationSpec is null)
        {
            return null;
        }
        var data = context.Spec(context.CalibrationSpec);
        return data.Kind == DataKind.FashionMnist && data.Count is null or > 256 ? DataSpec.Parse($"fashion-mnist:{data.Split}@256") : data;
    }

    /// <summary>Graph preparation, calibration and quantization as one recipe step; with <paramref name="sensitivity"/>,
    /// each quantized layer's output error when only it is int8 goes into the record's layer metrics.</summary>
    private sealed class QuantizeStep(QuantizationOptions options, DataSpec? calibration, string name, bool sensitivity) : ICompressionPass
    {
        public string Name => name;

        public PassResult Apply(OnnxModel model, IProgress<string>? progress = null, CancellationToken cancellationToken = default) =>
            Float16Bridge.TryRunQuantizing(model, m => ApplyFloat32(m, progress, cancellationToken)) ?? ApplyFloat32(model, progress, cancellationToken);

        private PassResult ApplyFloat32(OnnxModel model, IProgress<string>? progress, CancellationToken cancellationToken)
        {
            var outcome = QuantizationPipeline.Run(model, options, calibration, progress, cancellationToken);
            var record = outcome.Records[^1];
            var result = new PassResult(outcome.Quantized, record);
            if (sensitivity && calibration is not null)
            {
                var ranking = AccuracyGuard.RankLayers(outcome.Prepared, result, options, outcome.Calibration, calibration, progress, cancellationToken)
                    .ToDictionary(r => r.Node, r => r.RelativeError, StringComparer.Ordinal);
                for (var i = 0; i < record.Layers.Count; i++)
                {
                    if (ranking.TryGetValue(record.Layers[i].Node, out var error))
                    {
                        var metrics = new Dictionary<string, double>(record.Layers[i].Metrics ?? new Dictionary<string, double>(), StringComparer.Ordinal)
                        {
                            [SensitivityMetric] = error,
                        };
                        record.Layers[i] = record.Layers[i] with { Metrics = metrics };
                    }
                }
            }
            return result;
        }
    }

    /// <summary>The layer metric holding "relative output error when only this layer is int8".</summary>
    public const string SensitivityMetric = "int8_only_relative_error";

    /// <summary>A pass followed by fine-tuning from the model it started from, when a fine-tuner is available.</summary>
    private sealed class FineTuned(ICompressionPass inner, IPruneFineTuner? tuner, bool asked, PassContext context) : ICompressionPass
    {
        public string Name => inner.Name;

        public PassResult Apply(OnnxModel model, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
        {
            var result = inner.Apply(model, progress, cancellationToken);
            if (!asked || tuner is null || context.FineTuneSpec is null)
            {
                result.Record.Warnings.Add(asked
                    ? "not fine-tuned: accuracy was not recovered (training unavailable)"
                    : "not fine-tuned: the step does not ask for it (fineTune: true)");
                return result;
            }
            var tuned = tuner.FineTuneAsync(result.Model, model, context.Spec(context.FineTuneSpec), progress, cancellationToken)
                .GetAwaiter().GetResult();
            result.Record.Settings["fineTuned"] = context.FineTuneSpec;
            return new PassResult(tuned, result.Record);
        }
    }
}
