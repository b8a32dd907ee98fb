using EdgeCompress.Data;

namespace EdgeCompress.Training.Tests;

/// <summary>The worker reads image folders with their labels and the job's preprocessing, as the CLI does.</summary>
[Collection("worker")]
[Trait("Category", "training")]
public class WorkerImageFolderTests
{
    private static WorkerRequest Evaluate(string data, string? preprocess = null) => new()
    {
        Command = "evaluate",
        ModelPath = Path.Combine(AppContext.BaseDirectory, "models", "fmnist-baseline.onnx"),
        Data = data,
        Preprocess = preprocess,
    };

    [Fact]
    public async Task Evaluating_on_exported_png_class_folders_gives_the_accuracy_of_the_same_fashion_mnist_images()
    {
        var dir = Path.Combine(TestModels.TempDir(), "fmnist-png");
        FashionMnistExport.Write("test", 300, dir, ExportFormat.Png);

        var folder = await new TrainingClient().RunAsync(Evaluate(dir, FashionMnistExport.Preprocess.ToJson()), null, CancellationToken.None);
        var reference = await new TrainingClient().RunAsync(Evaluate("fashion-mnist:test@300"), null, CancellationToken.None);

        Assert.NotNull(folder.Accuracy);
        Assert.Equal(reference.Accuracy, folder.Accuracy);
        Assert.InRange(folder.Accuracy!.Value, 0.8, 1.0);
    }

    [Fact]
    public async Task A_bad_preprocess_in_the_job_is_an_input_error_naming_the_field()
    {
        var dir = Path.Combine(TestModels.TempDir(), "fmnist-png");
        FashionMnistExport.Write("test", 10, dir, ExportFormat.Png);

        var e = await Assert.ThrowsAsync<TrainingException>(() => new TrainingClient().RunAsync(Evaluate(dir, """{"color":"rgb"}"""), null, CancellationToken.None));

        Assert.Equal(TrainingErrorKind.Input, e.Kind);
        Assert.Contains("the job's preprocess: color rgb gives 3 channel(s) but model input 'input'", e.Message, StringComparison.Ordinal);
    }
}
