using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using EdgeCompress.Calibration;

namespace EdgeCompress.Training.Tests;

/// <summary>Quantisation-aware training of the committed baseline: a QDQ model ONNX Runtime runs and that keeps accuracy.</summary>
[Collection("worker")]
[Trait("Category", "training")]
public class QatTests
{
    private static readonly string Baseline = Path.Combine(AppContext.BaseDirectory, "models", "fmnist-baseline.onnx");

    private static WorkerRequest Qat(string output, int trainRows, int evalRows, int steps) => new()
    {
        Command = "qat",
        ModelPath = Baseline,
        Data = $"fashion-mnist:train@{trainRows}",
        EvalData = $"fashion-mnist:test@{evalRows}",
        OutputPath = output,
        Epochs = 1,
        BatchSize = 128,
        LearningRate = 0.002,
        WeightDecay = 0,
        MaxSteps = steps,
    };

    [Fact]
    public async Task Qat_writes_a_qdq_model_with_int8_weights_that_keeps_accuracy_within_two_points()
    {
        Assert.True(File.Exists(Baseline), "the shipped baseline src/EdgeCompress.Cli/Demo/fmnist-baseline.onnx is missing");
        var output = Path.Combine(TestModels.TempDir(), "qat.onnx");
        var result = await new TrainingClient().RunAsync(Qat(output, 1280, 500, 10), null, CancellationToken.None);

        Assert.NotNull(result.PtqAccuracy);
        var model = OnnxModel.Load(output);
        var ops = model.Proto.Graph.Node.Select(n => n.OpType).ToList();
        Assert.Contains("QuantizeLinear", ops);
        Assert.DoesNotContain("BatchNormalization", ops);
        var convWeights = model.Proto.Graph.Node.Where(n => n.OpType == "Conv").Select(n => n.Input[1]).ToList();
        Assert.All(convWeights, w => Assert.EndsWith(".dq", w, StringComparison.Ordinal));
        Assert.Contains(model.Proto.Graph.Initializer, i => i.DataType == (int)TensorProto.Types.DataType.Int8 && i.Dims.Count == 4);

        var floatAccuracy = TestModels.FashionMnistAccuracy(Baseline, 500);
        var qdqAccuracy = TestModels.FashionMnistAccuracy(output, 500);
        Assert.True(qdqAccuracy >= floatAccuracy - 0.02, $"float {floatAccuracy:P1}, QDQ in ORT {qdqAccuracy:P1}");
    }

    [Fact]
    public async Task Per_tensor_reduce_range_qat_stores_one_scalar_scale_and_7_bit_weights_per_tensor_and_the_model_still_classifies()
    {
        var output = Path.Combine(TestModels.TempDir(), "qat-per-tensor.onnx");
        var result = await new TrainingClient().RunAsync(Qat(output, 640, 300, 5) with { PerChannelWeights = false, ReduceRange = true }, null, CancellationToken.None);

        Assert.NotNull(result.PtqAccuracy);
        var model = OnnxModel.Load(output);
        var g = model.Proto.Graph;
        var weightDequant = g.Node.Where(n => n.OpType == "DequantizeLinear" && n.Input[0].EndsWith(".q", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(weightDequant);
        Assert.All(weightDequant, n =>
        {
            Assert.Empty(g.Initializer.Single(i => i.Name == n.Input[1]).Dims);
            Assert.DoesNotContain(n.Attribute, a => a.Name == "axis");
        });
        var scheme = model.Proto.MetadataProps.Single(m => m.Key == "edgec.quantization").Value;
        Assert.Contains("per-tensor", scheme, StringComparison.Ordinal);
        Assert.Contains("7-bit", scheme, StringComparison.Ordinal);
        var weights = g.Initializer.Where(i => i.DataType == (int)TensorProto.Types.DataType.Int8 && i.Dims.Count >= 2).ToList();
        Assert.NotEmpty(weights);
        // Symmetric 7-bit: the largest weight of each tensor maps to 63, none beyond.
        Assert.All(weights, w => Assert.Equal(63, w.RawData.ToByteArray().Max(b => Math.Abs((int)(sbyte)b))));
        Assert.True(TestModels.FashionMnistAccuracy(output, 300) >= 0.85, "per-tensor QDQ model no longer classifies");
    }

    [Fact]
    public async Task Frozen_entropy_ranges_are_exported_unchanged_by_training_and_clip_tighter_than_minmax()
    {
        var dir = TestModels.TempDir();
        async Task<Dictionary<string, float>> ActivationScales(string name, string method, int steps)
        {
            var output = Path.Combine(dir, name);
            await new TrainingClient().RunAsync(Qat(output, 640, 200, steps) with { CalibrationMethod = method, FreezeRanges = true }, null, CancellationToken.None);
            var model = OnnxModel.Load(output).Proto;
            Assert.Contains($"({method} ranges, frozen)", model.MetadataProps.Single(m => m.Key == "edgec.quantization").Value, StringComparison.Ordinal);
            // Activation QuantizeLinear nodes (weights are stored as int8 initializers with only a DequantizeLinear).
            return model.Graph.Node.Where(n => n.OpType == "QuantizeLinear").ToDictionary(n => n.Input[0],
                n => TensorData.ToFloats(model.Graph.Initializer.Single(i => i.Name == n.Input[1]))[0]);
        }

        var entropyShort = await ActivationScales("entropy-1.onnx", "entropy", 1);
        var entropyLong = await ActivationScales("entropy-6.onnx", "entropy", 6);
        var minmax = await ActivationScales("minmax-1.onnx", "minmax", 1);

        Assert.NotEmpty(entropyShort);
        // Frozen: five more training steps leave every activation scale exactly where calibration put it.
        Assert.Equal(entropyShort, entropyLong);
        // Entropy never widens a range beyond the observed min/max, and clips at least one activation tighter.
        Assert.Equal(minmax.Keys.Order(), entropyShort.Keys.Order());
        Assert.All(entropyShort, e => Assert.True(e.Value <= minmax[e.Key] * 1.0001f, $"{e.Key}: entropy scale {e.Value} > minmax {minmax[e.Key]}"));
        Assert.Contains(entropyShort, e => e.Value < minmax[e.Key] * 0.9f);
    }
}
