using EdgeCompress.Compression.GraphPrep;
using EdgeCompress.Compression.Tests.Quantization;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Tests.Quantization;

public class GraphPrepTests
{
    [Fact]
    public void Folding_batchnorm_into_conv_removes_every_bn_and_keeps_the_outputs_within_float_rounding()
    {
        var model = TestModels.SmallCnn();
        var prepared = new GraphPreparation().Apply(model);
        Assert.DoesNotContain(prepared.Model.Graph.Nodes, n => n.OpType == "BatchNormalization");
        Assert.Equal(2, prepared.Record.Totals["batchnorms_folded"]);
        var f = StaticQuantizerTests.Compare(model, prepared.Model, "synthetic:16");
        Assert.True(f.MaxAbsError < 1e-4, $"max abs error {f.MaxAbsError}");
        Assert.Contains(model.Graph.Nodes, n => n.OpType == "BatchNormalization");
    }

    [Fact]
    public void Identity_dropout_and_constant_subgraphs_are_removed_and_graph_output_names_are_kept()
    {
        var g = new GraphProto { Name = "prep" };
        g.Input.Add(TestModels.Value("x", TensorProto.Types.DataType.Float, -1, 4));
        g.Output.Add(TestModels.Value("y", TensorProto.Types.DataType.Float, -1, 3));
        g.Initializer.Add(TensorData.FromFloats("w_t", [3, 4], TestModels.Random(new Random(1), 12, 1)));
        g.Node.Add(TestModels.Node("Transpose", "wt", ["w_t"], ["w"]));
        g.Node.Add(TestModels.Node("Identity", "id", ["x"], ["x1"]));
        g.Node.Add(TestModels.Node("Dropout", "drop", ["x1"], ["x2"]));
        g.Node.Add(TestModels.Node("MatMul", "mm", ["x2", "w"], ["m"]));
        g.Node.Add(TestModels.Node("Identity", "out", ["m"], ["y"]));
        var m = new ModelProto { IrVersion = 8, Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });
        var model = new OnnxModel(m);
        var prepared = new GraphPreparation().Apply(model).Model;
        Assert.Equal(["MatMul"], prepared.Graph.Nodes.Select(n => n.OpType));
        Assert.Equal("y", prepared.Graph.Nodes[0].Output[0]);
        Assert.NotNull(prepared.Graph.GetConstant(prepared.Graph.Nodes[0].Input[1]));
        var f = StaticQuantizerTests.Compare(model, prepared, "synthetic:8");
        Assert.True(f.MaxAbsError < 1e-5);
    }
}
