using EdgeCompress.Compression.Pruning;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Tests.Pruning;

/// <summary>Dense layers as exporters write them: MatMul + Add (TensorFlow/Keras style) and Gemm without
/// transposed weights.</summary>
public class MatMulPruningTests
{
    /// <summary>x [N,32] -> hidden 24 -> Relu -> hidden 16 -> Relu -> 10; the first quarter of each hidden layer is dead.</summary>
    private static OnnxModel DenseNet(bool matMul)
    {
        var r = new Random(21);
        var g = new GraphProto { Name = "dense" };
        g.Input.Add(TestModels.Value("x", TensorProto.Types.DataType.Float, -1, 32));
        g.Output.Add(TestModels.Value("y", TensorProto.Types.DataType.Float, -1, 10));
        var prev = "x";
        var width = 32;
        var sizes = new[] { 24, 16, 10 };
        for (var i = 0; i < sizes.Length; i++)
        {
            var n = sizes[i];
            var w = TestModels.Random(r, width * n, 1.0 / Math.Sqrt(width));
            var b = TestModels.Random(r, n, 0.1);
            if (i < sizes.Length - 1)
            {
                // Weights are [K, N] (not transposed): a dead output channel is a zero column.
                for (var k = 0; k < width; k++)
                {
                    Array.Clear(w, k * n, n / 4);
                }
                Array.Clear(b, 0, n / 4);
            }
            g.Initializer.Add(TensorData.FromFloats($"w{i}", [width, n], w));
            g.Initializer.Add(TensorData.FromFloats($"b{i}", [n], b));
            var output = i == sizes.Length - 1 ? "y" : $"h{i}";
            if (matMul)
            {
                g.Node.Add(TestModels.Node("MatMul", $"mm{i}", [prev, $"w{i}"], [$"mm{i}_out"]));
                g.Node.Add(TestModels.Node("Add", $"bias{i}", [$"mm{i}_out", $"b{i}"], [output]));
            }
            else
            {
                g.Node.Add(TestModels.Node("Gemm", $"mm{i}", [prev, $"w{i}", $"b{i}"], [output]));
            }
            if (i < sizes.Length - 1)
            {
                g.Node.Add(TestModels.Node("Relu", $"relu{i}", [output], [$"a{i}"]));
                output = $"a{i}";
            }
            prev = output;
            width = n;
        }
        var m = new ModelProto { IrVersion = 8, Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });
        return new OnnxModel(m);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Dead_hidden_units_of_matmul_or_untransposed_gemm_layers_are_removed_without_changing_outputs(bool matMul)
    {
        var model = DenseNet(matMul);
        var result = new ChannelPruningPass(new ChannelPruningOptions { Ratio = 0.25 }).Apply(model);
        ChannelPruningTests.AssertSameOutputs(model, result.Model);
        Assert.Equal(new long[] { 32, 18 }, result.Model.Graph.Initializers["w0"].Dims);
        Assert.Equal(new long[] { 18 }, result.Model.Graph.Initializers["b0"].Dims);
        Assert.Equal(new long[] { 18, 12 }, result.Model.Graph.Initializers["w1"].Dims);
        Assert.Equal(new long[] { 12, 10 }, result.Model.Graph.Initializers["w2"].Dims);
    }
}
