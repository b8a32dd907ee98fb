using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Training.Tests;

/// <summary>The entry point the pruning and factorization passes call: fine-tune with a teacher, keep the graph.</summary>
[Collection("worker")]
[Trait("Category", "training")]
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
    public async Task A_model_with_constant_node_weights_and_shape_glue_flatten_fine_tunes_its_weights()
    {
        // Paddle2ONNX's style (PaddleOCR's models): every weight a Constant node, Flatten spelled as
        // Shape -> Cast(int32) -> Slice -> Cast(int64) -> Concat(-1) -> Reshape. Before, fine-tuning had nothing to
        // train ("element 0 of tensors does not require grad") and Cast/Slice were refused.
        var baseline = Path.Combine(AppContext.BaseDirectory, "models", "fmnist-baseline.onnx");
        var model = OnnxModel.Load(baseline);
        var g = model.Proto.Graph;
        var original = g.Initializer.Single(i => i.Name == "conv2.weight").Clone();
        var constants = g.Initializer.Select(i => Constant(i.Clone())).ToList();
        g.Initializer.Clear();
        foreach (var (name, value) in new[] { ("glue.start", 0L), ("glue.end", 1L), ("glue.rest", -1L) })
        {
            var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
            t.Dims.Add(1);
            t.Int64Data.Add(value);
            constants.Add(Constant(t));
        }
        var flatten = g.Node.Single(n => n.OpType == "Flatten");
        var at = g.Node.IndexOf(flatten);
        g.Node.Remove(flatten);
        NodeProto[] glue =
        [
            Node("Shape", ["act12.out"], ["glue.shape"]),
            Node("Cast", ["glue.shape"], ["glue.shape32"], n => n.SetInt("to", 6)),
            Node("Slice", ["glue.shape32", "glue.start", "glue.end"], ["glue.batch32"]),
            Node("Cast", ["glue.batch32"], ["glue.batch"], n => n.SetInt("to", 7)),
            Node("Concat", ["glue.batch", "glue.rest"], ["glue.dims"], n => n.SetInt("axis", 0)),
            Node("Reshape", ["act12.out", "glue.dims"], ["flatten13.out"]),
        ];
        for (var i = glue.Length - 1; i >= 0; i--)
        {
            g.Node.Insert(at, glue[i]);
        }
        for (var i = constants.Count - 1; i >= 0; i--)
        {
            g.Node.Insert(0, constants[i]);
        }
        var dir = TestModels.TempDir();
        var paddleStyle = Path.Combine(dir, "paddle-style.onnx");
        model.Save(paddleStyle);
        Assert.Equal(TestModels.FashionMnistAccuracy(baseline, 300), TestModels.FashionMnistAccuracy(paddleStyle, 300), 6);

        var output = Path.Combine(dir, "tuned.onnx");
        var result = await TrainingClient.FineTuneAsync(paddleStyle, baseline, "fashion-mnist:train@1024", output,
            new FineTuneOptions { Epochs = 1, LearningRate = 0.002, MaxSteps = 8 }, null, CancellationToken.None);

        Assert.Equal(8, result.Steps);
        var tuned = OnnxModel.Load(output).Proto.Graph;
        var weight = tuned.Initializer.Single(i => i.Name == "conv2.weight");
        Assert.NotEqual(TensorData.ToFloats(original), TensorData.ToFloats(weight));
        Assert.Equal(["Cast", "Slice", "Cast"], tuned.Node.Where(n => n.OpType is "Cast" or "Slice").Select(n => n.OpType));
        var before = TestModels.FashionMnistAccuracy(paddleStyle, 500);
        var after = TestModels.FashionMnistAccuracy(output, 500);
        Assert.True(after >= before - 0.02, $"before {before:P1}, after {after:P1}");
    }

    private static NodeProto Constant(TensorProto value)
    {
        var n = new NodeProto { OpType = "Constant", Name = value.Name + ".const" };
        n.Output.Add(value.Name);
        n.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = value });
        return n;
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs, Action<NodeProto>? set = null)
    {
        var n = new NodeProto { OpType = op, Name = outputs[0] + ".node" };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        set?.Invoke(n);
        return n;
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
