using EdgeCompress.Compression.GraphPrep;
using EdgeCompress.Compression.Quantization;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using static EdgeCompress.Compression.Tests.TestModels;

namespace EdgeCompress.Compression.Tests.Quantization;

public sealed class ConstantFoldingGrowthTests
{
    /// <summary>A paddle2onnx-style block: a conv whose weight comes through a Transpose (worth folding), then an Add of
    /// ConstantOfShape zeros and an Add of a bias Expanded to the full activation shape (not worth folding: each would
    /// store a [1,16,24,24] float tensor computed from a few bytes).</summary>
    private static OnnxModel ZerosAndExpandModel()
    {
        var r = new Random(4);
        var g = new GraphProto { Name = "zeros_and_expand" };
        g.Input.Add(Value("x", TensorProto.Types.DataType.Float, -1, 16, 24, 24));
        g.Output.Add(Value("y", TensorProto.Types.DataType.Float, -1, 16, 24, 24));
        g.Initializer.Add(TensorData.FromFloats("w_io", [16, 16, 3, 3], Random(r, 16 * 16 * 9, 0.1)));
        g.Node.Add(Node("Transpose", "w_oi", ["w_io"], ["w"], n => n.SetInts("perm", [1, 0, 2, 3])));
        g.Node.Add(Node("Conv", "conv", ["x", "w"], ["c"], n => { n.SetInts("kernel_shape", [3, 3]); n.SetInts("pads", [1, 1, 1, 1]); }));
        g.Initializer.Add(TensorData.FromInt64s("full_shape", [4], [1, 16, 24, 24]));
        g.Node.Add(Node("ConstantOfShape", "zeros", ["full_shape"], ["z"], n => n.SetTensor("value", TensorData.FromFloats("", [1], [0f]))));
        g.Node.Add(Node("Add", "add_zeros", ["c", "z"], ["cz"]));
        g.Initializer.Add(TensorData.FromFloats("bias", [1, 16, 1, 1], Random(r, 16, 0.1)));
        g.Node.Add(Node("Expand", "bias_full", ["bias", "full_shape"], ["b"]));
        g.Node.Add(Node("Add", "add_bias", ["cz", "b"], ["cb"]));
        g.Node.Add(Node("Relu", "relu", ["cb"], ["y"]));
        var m = new ModelProto { IrVersion = 7, ProducerName = "paddle2onnx", Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Version = 13 });
        return new OnnxModel(m);
    }

    [Fact]
    public void Graph_preparation_keeps_constant_of_shape_and_expand_unfolded_so_the_prepared_model_is_not_larger_than_the_input()
    {
        var model = ZerosAndExpandModel();
        var prepared = new GraphPreparation().Apply(model);

        Assert.True(prepared.Model.ToBytes().Length <= model.ToBytes().Length,
            $"prepared {prepared.Model.ToBytes().Length} bytes, input {model.ToBytes().Length} bytes");
        var ops = prepared.Model.Graph.Nodes.Select(n => n.OpType).ToList();
        Assert.Contains("ConstantOfShape", ops);
        Assert.Contains("Expand", ops);
        // The weight Transpose, which stores nothing new, is still folded.
        Assert.DoesNotContain("Transpose", ops);
        Assert.Equal(2, prepared.Record.Totals["constants_kept_unfolded"]);
        var f = StaticQuantizerTests.Compare(model, prepared.Model, "synthetic:4");
        Assert.True(f.MaxAbsError < 1e-5, $"max abs error {f.MaxAbsError}");
    }

    [Fact]
    public void Static_int8_of_a_model_with_constant_of_shape_zeros_is_smaller_than_its_input()
    {
        var model = ZerosAndExpandModel();
        var q = QuantizationPipeline.Run(model, new QuantizationOptions(), DataSpec.Parse("synthetic:4")).Quantized;
        var ratio = (double)q.ToBytes().Length / model.ToBytes().Length;
        Assert.True(ratio < 0.6, $"int8 / float size {ratio:F2}");
    }

    [Fact]
    public void Float16_weights_cast_to_float_are_still_folded_so_the_conv_is_quantized()
    {
        var r = new Random(6);
        var g = new GraphProto { Name = "fp16_weights" };
        g.Input.Add(Value("x", TensorProto.Types.DataType.Float, -1, 8, 12, 12));
        g.Output.Add(Value("y", TensorProto.Types.DataType.Float, -1, 32, 12, 12));
        var w = Random(r, 32 * 8 * 9, 0.1).Select(v => (Half)v).ToArray();
        g.Initializer.Add(TensorData.Create("w16", TensorProto.Types.DataType.Float16, [32, 8, 3, 3], w.AsSpan()));
        g.Node.Add(Node("Cast", "w_float", ["w16"], ["w"], n => n.SetInt("to", (long)TensorProto.Types.DataType.Float)));
        g.Node.Add(Node("Conv", "conv", ["x", "w"], ["y"], n => { n.SetInts("kernel_shape", [3, 3]); n.SetInts("pads", [1, 1, 1, 1]); }));
        var m = new ModelProto { IrVersion = 7, Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Version = 13 });
        var outcome = QuantizationPipeline.Run(new OnnxModel(m), new QuantizationOptions(), DataSpec.Parse("synthetic:4"));
        Assert.DoesNotContain(outcome.Prepared.Graph.Nodes, n => n.OpType == "Cast");
        Assert.Equal(1, outcome.Records[1].Totals["layers_quantized"]);
    }
}
