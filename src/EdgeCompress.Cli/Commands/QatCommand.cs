using System.CommandLine;
using EdgeCompress.Compression.Quantization;
using EdgeCompress.Calibration;

namespace EdgeCompress.Cli.Commands;

/// <summary>
/// `edgec qat MODEL --data SPEC --out OUT.onnx`: quantisation-aware training for models that static post-training
/// quantisation breaks. The worker folds BatchNorm, calibrates (that alone is PTQ, measured and printed), trains with
/// fake-quantised weights and activations, and exports the same QDQ format `edgec quantize --mode static` writes.
/// </summary>
internal static class QatCommand
{
    public static Command Create(CliContext ctx)
    {
        var model = new Argument<FileInfo>("MODEL") { Description = "float ONNX model to train quantisation-aware" };
        var data = new Option<string>("--data") { Description = "training data SPEC", DefaultValueFactory = _ => "fashion-mnist:train" };
        var epochs = new Option<int>("--epochs") { Description = "passes over the data", DefaultValueFactory = _ => 2 };
        var output = new Option<FileInfo>("--out") { Description = "QDQ ONNX model to write", Required = true };
        var activations = new Option<string>("--activation-type") { Description = "activation int8 type: int8 (S8S8) or uint8 (U8S8)", DefaultValueFactory = _ => "int8" };
        activations.AcceptOnlyFromAmong("int8", "uint8");
        var perTensor = new Option<bool>("--per-tensor") { Description = "one weight scale per tensor instead of per output channel (for runtimes that take only that)" };
        var reduceRange = new Option<bool?>("--reduce-range") { Description = "7-bit weights, which x86 hosts without VNNI need (default: on exactly when this host is one; --reduce-range false for 8-bit weights)" };
        var method = new Option<string>("--calibration-method")
        {
            Description = "starting activation ranges: ema (moving average of batch min/max), or minmax, percentile or entropy over histograms as `edgec quantize` calibrates",
            DefaultValueFactory = _ => "ema",
        };
        method.AcceptOnlyFromAmong("ema", "minmax", "percentile", "entropy");
        var percentile = new Option<double>("--percentile") { Description = "percentile of values kept in range (percentile method)", DefaultValueFactory = _ => 99.999 };
        var freeze = new Option<bool>("--freeze-ranges") { Description = "keep the calibrated activation ranges while training (only weights adapt)" };
        var common = TrainingFlags.Create(defaultLearningRate: 0.002);
        var command = new Command("qat", "Quantisation-aware training: recover the accuracy static int8 loses; writes a QDQ model.");
        command.Arguments.Add(model);
        OptionRules.Percentile(percentile);
        foreach (var o in new Option[] { data, epochs, output, activations, perTensor, reduceRange, method, percentile, freeze })
        {
            command.Options.Add(o);
        }
        common.AddTo(command);
        command.SetAction(EdgecApp.Guarded(ctx, (parse, ct) =>
        {
            var source = parse.GetValue(model)!;
            if (!source.Exists)
            {
                throw new UsageException($"{source.FullName}: no such file");
            }
            var p = parse.GetValue(percentile);
            var request = common.Request(parse, "qat", parse.GetValue(data)!, parse.GetValue(output)!, parse.GetValue(epochs)) with
            {
                ModelPath = source.FullName,
                ActivationType = parse.GetValue(activations)!,
                PerChannelWeights = !parse.GetValue(perTensor),
                ReduceRange = parse.GetValue(reduceRange) ?? ctx.Env.Int8Kernels.NeedsReduceRange,
                WeightDecay = 0,
                CalibrationMethod = parse.GetValue(method)!,
                Percentile = p,
                FreezeRanges = parse.GetValue(freeze),
            };
            if (request.OutputPath == source.FullName)
            {
                throw new UsageException($"--out {request.OutputPath}: would overwrite the input model");
            }
            if (parse.GetValue(reduceRange) is null && ctx.Env.Int8Kernels.NeedsReduceRange)
            {
                ctx.Warn("this x86 host has no VNNI: weights are trained and stored with 7 bits so ONNX Runtime's int8 kernels here do not saturate (--reduce-range false for 8-bit weights)");
            }
            return TrainingFlags.RunAsync(ctx, request, ct);
        }));
        return command;
    }
}
