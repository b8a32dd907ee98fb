using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Quantization;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Tests.Quantization;

public sealed class ToolchainModelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgec-quant-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>Writes test_data_set_N folders of random images with varied batch/height/width.</summary>
    private string ImageSets(string folder, params (int N, int H, int W)[] shapes)
    {
        var root = Path.Combine(_dir, folder);
        var r = new Random(3);
        for (var i = 0; i < shapes.Length; i++)
        {
            var set = Directory.CreateDirectory(Path.Combine(root, $"test_data_set_{i}")).FullName;
            var (n, h, w) = shapes[i];
            var t = TensorData.FromFloats("input", [n, 3, h, w], Enumerable.Range(0, n * 3 * h * w).Select(_ => (float)r.NextDouble()).ToArray());
            using var fs = File.Create(Path.Combine(set, "input_0.pb"));
            Google.Protobuf.MessageExtensions.WriteTo(t, fs);
        }
        return root;
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14)]
    [InlineData(17)]
    [InlineData(19)]
    [InlineData(21)]
    public void Mobile_block_with_depthwise_conv_hardswish_se_and_resize_quantizes_at_every_opset_and_runs_at_new_sizes(int opset)
    {
        var model = QuantTestModels.MobileBlock(opset);
        var calibration = ImageSets("calibration", (2, 32, 32), (1, 40, 24), (3, 16, 48));
        var options = new QuantizationOptions { ReduceRange = HostInt8.NeedsReduceRange };
        var q = QuantizationPipeline.Run(model, options, DataSpec.Parse(calibration)).Quantized;

        // Sizes calibration never saw: dynamic batch, height and width survive quantization.
        var unseen = ImageSets("unseen", (4, 56, 40));
        var f = StaticQuantizerTests.Compare(model, q, unseen);
        Assert.True(f.Cosine > 0.99, $"opset {opset}: cosine {f.Cosine}");
        Assert.Equal(4 * 10, f.Count);

        var depthwise = q.Graph.Nodes.Single(n => n.Name == "dw");
        Assert.Equal("DequantizeLinear", q.Graph.Producer(depthwise.Input[1])!.OpType);
        Assert.Equal("DequantizeLinear", q.Graph.Producer(depthwise.Input[0])!.OpType);
        // HardSigmoid/HardSwish stay float between quantized neighbours; the SE Mul is int8.
        var gate = q.Graph.Nodes.Single(n => n.Name == "se_scale");
        Assert.All(gate.Input, i => Assert.Equal("DequantizeLinear", q.Graph.Producer(i)!.OpType));
        // Opset 11/12 blocks are lifted to 13 for per-channel weights: standard Q/DQ throughout.
        Assert.All(q.Graph.Nodes.Where(n => n.OpType is "QuantizeLinear" or "DequantizeLinear"), n => Assert.Equal("", n.Domain));
        Assert.Equal(Math.Max(opset, 13), q.OpsetVersion());
    }

    [Fact]
    public void Reshape_between_float_ops_gets_no_dangling_quantize_pair()
    {
        var g = new GraphProto { Name = "shape_only" };
        g.Input.Add(TestModels.Value("x", TensorProto.Types.DataType.Float, -1, 8));
        g.Output.Add(TestModels.Value("y", TensorProto.Types.DataType.Float, -1, 8));
        g.Initializer.Add(TensorData.FromInt64s("shape", [2], [-1, 8]));
        g.Node.Add(TestModels.Node("Sigmoid", "sig", ["x"], ["s"]));
        g.Node.Add(TestModels.Node("Reshape", "reshape", ["s", "shape"], ["r"]));
        g.Node.Add(TestModels.Node("Softmax", "softmax", ["r"], ["y"], n => n.SetInt("axis", 1)));
        var m = new ModelProto { IrVersion = 8, Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });
        var q = QuantizationPipeline.Run(new OnnxModel(m), new QuantizationOptions(), DataSpec.Parse("synthetic:4")).Quantized;
        Assert.DoesNotContain(q.Graph.Nodes, n => n.OpType is "QuantizeLinear" or "DequantizeLinear");
    }

    [Fact]
    public void Max_pool_and_flatten_between_int8_layers_reuse_their_input_scale_so_the_runtime_drops_the_pair()
    {
        var q = QuantizationPipeline.Run(TestModels.SmallCnn(), new QuantizationOptions(), DataSpec.Parse("synthetic:16")).Quantized;
        var graph = q.Graph;
        foreach (var name in new[] { "pool1", "flatten" })
        {
            var node = graph.Nodes.Single(n => n.Name == name);
            var before = graph.Producer(node.Input[0])!;
            var after = graph.Consumers(node.Output[0]).Single();
            Assert.Equal("DequantizeLinear", before.OpType);
            Assert.Equal("QuantizeLinear", after.OpType);
            Assert.Equal(TensorData.ToFloats(graph.Initializers[before.Input[1]]), TensorData.ToFloats(graph.Initializers[after.Input[1]]));
        }
    }

    [Fact]
    public void Ort_fuses_the_small_cnn_into_integer_kernels_with_no_float_conv_left()
    {
        var q = QuantizationPipeline.Run(TestModels.SmallCnn(), new QuantizationOptions(), DataSpec.Parse("synthetic:16")).Quantized;
        var path = Path.Combine(_dir, "q.onnx");
        q.Save(path);
        using (var so = new Microsoft.ML.OnnxRuntime.SessionOptions { OptimizedModelFilePath = path + ".opt.onnx", IntraOpNumThreads = 1 })
        using (new Microsoft.ML.OnnxRuntime.InferenceSession(path, so))
        {
        }
        var ops = OnnxModel.Load(path + ".opt.onnx").Graph.Nodes.Select(n => n.OpType).ToList();
        Assert.DoesNotContain("Conv", ops);
        Assert.Equal(2, ops.Count(o => o == "QLinearConv"));
        Assert.Contains("QGemm", ops);
    }
}
