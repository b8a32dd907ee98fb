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

    [Fact]
    public async Task Augmented_fine_tuning_runs_the_teacher_on_each_augmented_batch_and_records_the_augmentation()
    {
        var baseline = Path.Combine(AppContext.BaseDirectory, "models", "fmnist-baseline.onnx");
        var output = Path.Combine(TestModels.TempDir(), "tuned-augmented.onnx");
        var progress = new List<TrainingProgress>();
        var logs = new List<string>();
        var client = new TrainingClient();
        client.Log += logs.Add;
        var result = await client.RunAsync(new WorkerRequest
        {
            Command = "finetune",
            ModelPath = baseline,
            TeacherPath = baseline,
            Data = "fashion-mnist:train@768",
            OutputPath = output,
            Epochs = 1,
            LearningRate = 0.002,
            MaxSteps = 6,
            Augment = true,
        }, new SyncRecorder(progress), CancellationToken.None);

        Assert.Equal(6, result.Steps);
        // Precomputed soft targets would show a "teacher" pass over the data first; augmented images are new each
        // epoch, so the teacher runs per batch and its agreement is counted on those batches.
        Assert.DoesNotContain(progress, p => p.Phase == "teacher");
        Assert.Contains(logs, l => l.Contains("agrees with the training labels", StringComparison.Ordinal));
        var meta = OnnxModel.Load(output).Proto.MetadataProps;
        Assert.Contains(meta, e => e.Key == "edgec.trained.augment" && e.Value == "flip+shift2");
        Assert.True(TestModels.FashionMnistAccuracy(output, 300) >= 0.85, "augmented fine-tuning broke the model");
    }
}
