using EdgeCompress.Compression.Quantization;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using Xunit.Abstractions;
using static EdgeCompress.Compression.Tests.TestModels;

namespace EdgeCompress.Compression.Tests.Quantization;

/// <summary>Static per-channel quantization of MatMul with a constant 2-D weight: one scale per output column
/// (DequantizeLinear axis=1), loaded by ONNX Runtime and closer to float than one scale per tensor.</summary>
public class MatMulPerChannelTests(ITestOutputHelper log)
{
    /// <summary>x [N,256] -> MatMul -> ReLU -> MatMul -> ReLU -> MatMul -> y [N,10], with output columns whose scales
    /// differ by up to e^4 (as trained layers' do), so a single scale per tensor wastes levels on the small ones.</summary>
    internal static OnnxModel MatMulMlp(int seed = 21)
    {
        var r = new Random(seed);
        var g = new GraphProto { Name = "matmul_mlp" };
        g.Input.Add(Value("x", TensorProto.Types.DataType.Float, -1, 256));
        g.Output.Add(Value("y", TensorProto.Types.DataType.Float, -1, 10));
        var widths = new[] { 256, 512, 512, 10 };
        var prev = "x";
        for (var i = 0; i < 3; i++)
        {
            var (k, n) = (widths[i], widths[i + 1]);
            var columnScale = Enumerable.Range(0, n).Select(_ => Math.Exp((r.NextDouble() * 4) - 2)).ToArray();
            var w = Random(r, k * n, 1.0 / Math.Sqrt(k));
            for (var j = 0; j < w.Length; j++)
            {
                w[j] *= (float)columnScale[j % n];
            }
            g.Initializer.Add(TensorData.FromFloats($"w{i}", [k, n], w));
            var output = i == 2 ? "y" : $"mm{i}";
            g.Node.Add(Node("MatMul", $"mm{i}", [prev, $"w{i}"], [output]));
            if (i < 2)
            {
                g.Node.Add(Node("Relu", $"relu{i}", [output], [$"relu{i}"]));
                prev = $"relu{i}";
            }
        }
        var m = new ModelProto { IrVersion = 8, ProducerName = "edgecompress-tests", Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return new OnnxModel(m);
    }

    private static OnnxModel Static(OnnxModel model, bool perChannel) =>
        QuantizationPipeline.Run(model, new QuantizationOptions { PerChannel = perChannel, ReduceRange = HostInt8.NeedsReduceRange },
            DataSpec.Parse("synthetic:256")).Quantized;

    [Fact]
    public void Every_matmul_weight_gets_one_scale_per_output_column_on_axis_1()
    {
        var q = Static(MatMulMlp(), perChannel: true);
        var matmuls = q.Graph.Nodes.Where(n => n.OpType == "MatMul").ToList();
        Assert.Equal(3, matmuls.Count);
        foreach (var mm in matmuls)
        {
            var dq = q.Graph.Producer(mm.Input[1]);
            Assert.NotNull(dq);
            Assert.Equal("DequantizeLinear", dq.OpType);
            Assert.Equal(1, dq.GetInt("axis", -1));
            var weight = q.Graph.Initializers[dq.Input[0]];
            Assert.Equal(TensorProto.Types.DataType.Int8, TensorData.TypeOf(weight));
            Assert.Equal(weight.Dims[1], TensorData.ElementCount(q.Graph.Initializers[dq.Input[1]]));
        }
    }

    [Fact]
    public void Per_column_matmul_model_loads_in_onnx_runtime_and_is_closer_to_float_than_per_tensor()
    {
        var model = MatMulMlp();
        var perChannel = Static(model, perChannel: true);
        var perTensor = Static(model, perChannel: false);
        // What ONNX Runtime loads is what edgec writes: load from the serialized bytes.
        using (ModelRunner.Create(OnnxModel.Load(new MemoryStream(perChannel.ToBytes())), "per-channel"))
        {
        }
        var fc = StaticQuantizerTests.Compare(model, perChannel, "synthetic:64");
        var ft = StaticQuantizerTests.Compare(model, perTensor, "synthetic:64");
        log.WriteLine($"per-column: cosine {fc.Cosine:F6} max abs {fc.MaxAbsError:G4}; per-tensor: cosine {ft.Cosine:F6} max abs {ft.MaxAbsError:G4}");
        Assert.True(fc.Cosine > 0.995, $"per-column cosine {fc.Cosine}");
        Assert.True(fc.MaxAbsError < ft.MaxAbsError, $"per-column max abs {fc.MaxAbsError} vs per-tensor {ft.MaxAbsError}");
        var ratio = (double)perChannel.ToBytes().Length / model.ToBytes().Length;
        Assert.True(ratio < 0.27, $"size ratio {ratio:F3}");
    }

    [Fact]
    public void Onnx_runtime_fuses_every_per_column_matmul_into_an_integer_kernel()
    {
        var dir = Directory.CreateTempSubdirectory("edgec-matmul-fuse-").FullName;
        try
        {
            var path = Path.Combine(dir, "q.onnx");
            Static(MatMulMlp(), perChannel: true).Save(path);
            using (var so = new Microsoft.ML.OnnxRuntime.SessionOptions { OptimizedModelFilePath = path + ".opt.onnx", IntraOpNumThreads = 1 })
            using (new Microsoft.ML.OnnxRuntime.InferenceSession(path, so))
            {
            }
            var ops = OnnxModel.Load(path + ".opt.onnx").Graph.Nodes.Select(n => n.OpType).ToList();
            log.WriteLine("after ONNX Runtime's optimizer: " + string.Join(", ", ops));
            Assert.DoesNotContain("MatMul", ops);
            Assert.Equal(3, ops.Count(o => o is "QLinearMatMul" or "MatMulIntegerToFloat"));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
