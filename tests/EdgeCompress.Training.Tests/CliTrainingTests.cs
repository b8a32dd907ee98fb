using EdgeCompress.Cli;

namespace EdgeCompress.Training.Tests;

/// <summary>What a user sees from edgec train/distill on bad input, and the committed baseline's accuracy.</summary>
[Collection("worker")]
public class CliTrainingTests
{
    private static async Task<(int Code, string Out, string Err)> Edgec(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await EdgecApp.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Distill_with_both_student_and_arch_is_a_usage_error()
    {
        var dir = TestModels.TempDir();
        var teacher = Path.Combine(dir, "t.onnx");
        await File.WriteAllBytesAsync(teacher, [1]);
        var (code, _, err) = await Edgec("distill", "--teacher", teacher, "--student", teacher, "--arch", "vgg-s", "--out", Path.Combine(dir, "s.onnx"));
        Assert.Equal(2, code);
        Assert.Contains("exactly one of --student", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Train_with_an_unknown_architecture_names_the_choices_and_writes_nothing()
    {
        var dir = TestModels.TempDir();
        var output = Path.Combine(dir, "m.onnx");
        var (code, _, err) = await Edgec("train", "--arch", "alexnet", "--data", "fashion-mnist:train@64", "--epochs", "1", "--out", output);
        Assert.Equal(2, code);
        Assert.Contains("unknown architecture 'alexnet'", err, StringComparison.Ordinal);
        Assert.Contains("mobilenet-v2", err, StringComparison.Ordinal);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task Train_into_a_missing_folder_is_a_usage_error()
    {
        var (code, _, err) = await Edgec("train", "--epochs", "1", "--out", "/nonexistent-folder/m.onnx");
        Assert.Equal(2, code);
        Assert.Contains("/nonexistent-folder", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Committed_baseline_reaches_91_5_percent_on_fashion_mnist_test()
    {
        var model = Path.Combine(AppContext.BaseDirectory, "models", "fmnist-baseline.onnx");
        Assert.True(File.Exists(model), "the shipped baseline src/EdgeCompress.Cli/Demo/fmnist-baseline.onnx is missing");
        var accuracy = TestModels.FashionMnistAccuracy(model, 10000);
        Assert.True(accuracy >= 0.915, $"baseline accuracy {accuracy:P2}");
    }
}
