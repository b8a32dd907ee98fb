using System.Text.RegularExpressions;
using EdgeCompress.Cli;
using EdgeCompress.Data;
using EdgeCompress.Onnx;

namespace EdgeCompress.Training.Tests;

/// <summary>
/// A user's own data: Fashion-MNIST's test images written as PNG class folders (edgec data export) go through eval,
/// quantize and prune with fine-tuning exactly as the built-in spec does; the preprocessing is stored in each model
/// written and reused by the next command without retyping.
/// </summary>
[Collection("worker")]
[Trait("Category", "training")]
public class ImageFolderVerbTests
{
    private static readonly string Baseline = Path.Combine(AppContext.BaseDirectory, "models", "fmnist-baseline.onnx");

    private static async Task<(int Code, string Out, string Err)> Edgec(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await EdgecApp.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static double Top1(string evalOutput) =>
        double.Parse(Regex.Match(evalOutput, @"top-1\s+(\d+\.\d\d) %").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Png_class_folders_give_the_same_accuracy_as_the_built_in_spec_and_feed_quantize_and_a_fine_tuned_prune()
    {
        var dir = TestModels.TempDir();
        var images = Path.Combine(dir, "fmnist-test-png");
        var export = await Edgec("data", "export", "fashion-mnist:test@600", "--out", images);
        Assert.True(export.Code == 0, export.Err);

        var fromFolder = await Edgec("eval", Baseline, "--data", images, "--runs", "0");
        var builtIn = await Edgec("eval", Baseline, "--data", "fashion-mnist:test@600", "--runs", "0");
        Assert.True(fromFolder.Code == 0, fromFolder.Err);
        Assert.Equal(Top1(builtIn.Out), Top1(fromFolder.Out));
        Assert.Contains("(600 samples)", fromFolder.Out, StringComparison.Ordinal);
        Assert.Contains($"images of {images}: 28x28 stretch, gray", fromFolder.Out, StringComparison.Ordinal);

        var q = Path.Combine(dir, "q.onnx");
        var quantize = await Edgec("quantize", Baseline, "--out", q, "--calibration", images + "@200", "--eval-data", images, "--max-drop", "2");
        Assert.True(quantize.Code == 0, quantize.Out + quantize.Err);
        Assert.Contains("guard: pass by top-1 accuracy", quantize.Out, StringComparison.Ordinal);
        var stored = OnnxModel.Load(q).Proto.MetadataProps.Single(p => p.Key == Preprocess.MetadataKey).Value;
        Assert.Equal(FashionMnistExport.Preprocess.ResolveFor(new InputSpec("input", EdgeCompress.Onnx.Protos.TensorProto.Types.DataType.Float, [-1, 1, 28, 28])).ToJson(), stored);

        var p = Path.Combine(dir, "p.onnx");
        var prune = await Edgec("prune", Baseline, "--out", p, "--channels", "0.3", "--round-to", "8", "--finetune", images,
            "--finetune-epochs", "1", "--eval", images);
        Assert.True(prune.Code == 0, prune.Out + prune.Err);
        Assert.Matches(@"top-1 accuracy \d+\.\d\d% -> \d+\.\d\d%", prune.Out);
        Assert.Contains(Preprocess.MetadataKey, OnnxModel.Load(p).Proto.MetadataProps.Select(m => m.Key));
    }
}
