using EdgeCompress.Onnx;

namespace EdgeCompress.Training.Tests;

/// <summary>The entry point the pruning and factorization passes call: fine-tune with a teacher, keep the graph.</summary>
[Collection("worker")]
public class FineTuneTests
{
    [Fact]
    public async Task Fine_tuning_with_a_teacher_keeps_the_graph_and_the_accuracy()
    {
        var baseline = Path.Combine(AppContext.BaseDirectory, "models", "fmnist-baseline.onnx");
        Assert.True(File.Exists(baseline), "the shipped baseline src/EdgeCompress.Cli/Demo/fmnist-baseline.onnx is missing");
        var dir = TestModels.TempDir();
        var output = Path.Combine(dir, "tuned.onnx");
        var result = await TrainingClient.FineTuneAsync(baseline, baseline, "fashion-mnist:train@1024", output,
            new FineTuneOptions { Epochs = 1, LearningRate = 0.002, MaxSteps = 8 }, null, CancellationToken.None);

        Assert.Equal(8, result.Steps);
        var before = OnnxModel.Load(baseline).Proto.Graph;
        var after = OnnxModel.Load(output).Proto.Graph;
        Assert.Equal(before.Node.Select(n => (n.OpType, n.Name)), after.Node.Select(n => (n.OpType, n.Name)));
        Assert.Equal(before.Initializer.Select(i => (i.Name, string.Join("x", i.Dims))), after.Initializer.Select(i => (i.Name, string.Join("x", i.Dims))));
        Assert.Contains(OnnxModel.Load(output).Proto.MetadataProps, e => e.Key == "edgec.teacher");
        Assert.NotEqual(before.Initializer.First(i => i.Dims.Count == 4).RawData, after.Initializer.First(i => i.Dims.Count == 4).RawData);

        var accuracyBefore = TestModels.FashionMnistAccuracy(baseline, 500);
        var accuracyAfter = TestModels.FashionMnistAccuracy(output, 500);
        Assert.True(accuracyAfter >= accuracyBefore - 0.02, $"before {accuracyBefore:P1}, after {accuracyAfter:P1}");
    }
}
