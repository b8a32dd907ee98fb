using System.Globalization;
using EdgeCompress.Compression.Factorization;
using EdgeCompress.Compression.Passes;
using EdgeCompress.Compression.Pruning;
using EdgeCompress.Compression.Quantization;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Calibration;

namespace EdgeCompress.Compression.Search;

/// <summary>
/// The passes of this build, by the names recipes use: quantize-static, quantize-dynamic, prune-channels, factorize,
/// distill-student. Fine-tuning after pruning or factorization goes through an optional <see cref="IPruneFineTuner"/>
/// (the training worker); without one, recipes asking for it run without and say so. Students need an
/// <see cref="IStudentTrainer"/> and fine-tuning data; without them a student recipe is refused.
/// </summary>
public sealed class DefaultPassCatalog : IPassCatalog
{
    private static readonly string[] Names = ["quantize-static", "quantize-dynamic", "prune-channels", "factorize", "distill-student"];
    private readonly IPruneFineTuner? _fineTuner;
    private readonly IStudentTrainer? _students;

    /// <summary>Creates the catalog, with a fine-tuner and a student trainer when training is available.</summary>
    public DefaultPassCatalog(IPruneFineTuner? fineTuner = null, IStudentTrainer? students = null)
    {
        _fineTuner = fineTuner;
        _students = students;
    }

    /// <inheritdoc />
    public bool Has(string pass) => Names.Contains(pass);

    /// <inheritdoc />
    public ICompressionPass Create(RecipeStep step, PassContext context)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(context);
        var s = step.Settings;
        return step.Pass switch
        {
            "quantize-static" or "quantize-dynamic" => new QuantizeStep(new QuantizationOptions
            {
                Mode = step.Pass == "quantize-dynamic" ? QuantizationMode.Dynamic : QuantizationMode.Static,
                Method = Get(s, "calibrationMethod", "minmax") switch
                {
                    "entropy" => CalibrationMethod.Entropy,
                    "percentile" => CalibrationMethod.Percentile,
                    _ => CalibrationMethod.MinMax,
                },
                PerChannel = Get(s, "perChannel", "true") == "true",
                Activations = Get(s, "scheme", "S8S8") == "U8S8" ? ActivationType.U8 : ActivationType.S8,
                ReduceRange = Get(s, "reduceRange", "false") == "true",
            }, context.CalibrationSpec is null ? null : context.Spec(context.CalibrationSpec), step.Pass, Get(s, "sensitivity", "false") == "true"),
            "prune-channels" => new FineTuned(new ChannelPruningPass(new ChannelPruningOptions
            {
                Ratio = double.Parse(Get(s, "ratio", "0.3"), CultureInfo.InvariantCulture),
                RoundTo = int.Parse(Get(s, "roundTo", "1"), CultureInfo.InvariantCulture),
                Importance = Get(s, "importance", "l1") == "l2" ? ChannelImportanceKind.L2 : ChannelImportanceKind.L1,
                TailRatio = s.TryGetValue("tailRatio", out var tail) ? double.Parse(tail, CultureInfo.InvariantCulture) : null,
            }), Get(s, "fineTune", "false") == "true" ? _fineTuner : null, context),
            "factorize" => new FineTuned(new FactorizePass(new FactorizeOptions
            {
                Selection = RankSelection.ParamsFraction,
                ParamsFraction = double.Parse(Get(s, "params", "0.5"), CultureInfo.InvariantCulture),
                RoundTo = int.Parse(Get(s, "roundTo", "1"), CultureInfo.InvariantCulture),
                Calibration = FactorCalibration(context),
            }), Get(s, "fineTune", "false") == "true" ? _fineTuner : null, context),
            "distill-student" => new DistillStudentPass(
                _students ?? throw new InputException("recipe step distill-student needs the training worker"),
                Get(s, "arch", "thin@0.5"),
                int.Parse(Get(s, "epochs", "3"), CultureInfo.InvariantCulture),
                context.Spec(context.FineTuneSpec ?? throw new InputException("recipe step distill-student needs fine-tuning data (--finetune SPEC)"))),
            _ => throw new InputException($"unknown pass '{step.Pass}'; this build has {string.Join(", ", Names)}"),
        };
    }

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

    private static string Get(IReadOnlyDictionary<string, string> settings, string key, string fallback) =>
        settings.TryGetValue(key, out var v) ? v : fallback;

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
    private sealed class FineTuned(ICompressionPass inner, IPruneFineTuner? tuner, PassContext context) : ICompressionPass
    {
        public string Name => inner.Name;

        public PassResult Apply(OnnxModel model, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
        {
            var result = inner.Apply(model, progress, cancellationToken);
            if (tuner is null || context.FineTuneSpec is null)
            {
                result.Record.Warnings.Add("not fine-tuned: accuracy was not recovered (training unavailable)");
                return result;
            }
            var tuned = tuner.FineTuneAsync(result.Model, model, context.Spec(context.FineTuneSpec), progress, cancellationToken)
                .GetAwaiter().GetResult();
            result.Record.Settings["fineTuned"] = context.FineTuneSpec;
            return new PassResult(tuned, result.Record);
        }
    }
}
