using EdgeCompress.Compression.Quantization;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using Microsoft.ML.OnnxRuntime;
using static EdgeCompress.Compression.Tests.TestModels;

namespace EdgeCompress.Compression.Tests.Quantization;

/// <summary>Static int8 of a token embedding (Gather from a constant table): the table is stored int8 and ONNX Runtime
/// looks rows up in it directly, instead of keeping it float (a text model's largest tensor).</summary>
public sealed class EmbeddingQuantizationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgec-embedding-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>ids int64 [1,16] -> Gather(table [500,64]) -> MatMul [64,8] -> y.</summary>
    private static OnnxModel TokenModel()
    {
        var r = new Random(3);
        var g = new GraphProto { Name = "tokens" };
        g.Input.Add(Value("ids", TensorProto.Types.DataType.Int64, 1, 16));
        g.Output.Add(Value("y", TensorProto.Types.DataType.Float, 1, 16, 8));
        g.Initializer.Add(TensorData.FromFloats("table", [500, 64], Random(r, 500 * 64, 0.5)));
        g.Initializer.Add(TensorData.FromFloats("w", [64, 8], Random(r, 64 * 8, 0.125)));
        g.Node.Add(Node("Gather", "embed", ["table", "ids"], ["x"]));
        g.Node.Add(Node("MatMul", "proj", ["x", "w"], ["y"]));
        var m = new ModelProto { IrVersion = 8, ProducerName = "edgecompress-tests", Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return new OnnxModel(m);
    }

    [Theory]
    [InlineData(ActivationType.U8, TensorProto.Types.DataType.Uint8)]
    [InlineData(ActivationType.S8, TensorProto.Types.DataType.Int8)]
    public void The_table_is_stored_int8_and_onnx_runtime_gathers_from_it_without_dequantizing_it(ActivationType activations, TensorProto.Types.DataType stored)
    {
        var model = TokenModel();
        var result = QuantizationPipeline.Run(model, new QuantizationOptions { Activations = activations }, DataSpec.Parse("synthetic:16"));
        var q = result.Quantized;

        var gather = q.Graph.Nodes.Single(n => n.OpType == "Gather");
        var dq = q.Graph.Producer(gather.Input[0])!;
        Assert.Equal("DequantizeLinear", dq.OpType);
        Assert.Equal(stored, TensorData.TypeOf(q.Graph.Initializers[dq.Input[0]]));
        Assert.DoesNotContain("table", q.Graph.Initializers.Keys);
        var quantizeAfter = Assert.Single(q.Graph.Consumers(gather.Output[0]));
        Assert.Equal("QuantizeLinear", quantizeAfter.OpType);
        Assert.Equal(TensorData.ToFloats(q.Graph.Initializers[dq.Input[1]]), TensorData.ToFloats(q.Graph.Initializers[quantizeAfter.Input[1]]));
        Assert.True(q.ToBytes().Length < 0.35 * model.ToBytes().Length, $"{q.ToBytes().Length} of {model.ToBytes().Length} bytes");

        // What ONNX Runtime makes of it: the Gather reads the int8 table itself (its DQ/Q pair dropped).
        var path = Path.Combine(_dir, $"q-{activations}.onnx");
        var optimized = Path.Combine(_dir, $"q-{activations}.opt.onnx");
        q.Save(path);
        using (var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, OptimizedModelFilePath = optimized })
        using (new InferenceSession(path, options))
        {
        }

        var graph = OnnxModel.Load(optimized).Graph;
        var runtimeGather = graph.Nodes.Single(n => n.OpType == "Gather");
        if (activations == ActivationType.U8 || !HostInt8.PrefersUint8Activations)
        {
            Assert.Equal(stored, TensorData.TypeOf(graph.Initializers[runtimeGather.Input[0]]));
        }
        else
        {
            // x86 with S8 activations: ONNX Runtime rewrites them to U8 (its x86 kernels are U8S8), the pair no longer
            // matches the table's, and the table is dequantized on every run. Smaller file, no faster lookup; U8S8 is
            // this host's default for that reason.
            Assert.Equal("DequantizeLinear", graph.Producer(runtimeGather.Input[0])?.OpType);
        }

        // And it stays faithful: every looked-up row within half a quantization step of the float one.
        using var floats = ModelRunner.Create(model, "float");
        using var ints = ModelRunner.Create(q, "int8");
        var sample = DataSpec.Parse("synthetic:4").Open(floats.Inputs).First();
        Assert.True(EdgeCompress.Compression.Evaluation.Fidelity.CosineOf(floats.Run(sample)[0].Values, ints.Run(sample)[0].Values) > 0.995);
        Assert.Contains(result.Records[^1].Layers, l => l.OpType == "Gather" && l.Action == "quantized int8 (embedding table)");
    }
}
