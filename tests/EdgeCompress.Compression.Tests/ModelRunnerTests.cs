using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Tests;

public class ModelRunnerTests
{
    [Fact]
    public void The_small_cnn_runs_a_batch_of_fashion_mnist_shaped_inputs_and_gives_ten_logits_per_row()
    {
        using var runner = ModelRunner.Create(TestModels.SmallCnn(), "small_cnn");
        var sample = DataSpec.Parse("synthetic:4").Open(runner.Inputs, batchSize: 4).Single();
        var output = runner.Run(sample).Single();
        Assert.Equal(new long[] { 4, 10 }, output.Dims);
        Assert.All(output.Values, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Extra_outputs_expose_intermediate_tensors_for_calibration()
    {
        using var runner = ModelRunner.Create(TestModels.SmallCnn(), "small_cnn", new RunnerOptions { ExtraOutputs = ["c1_relu"] });
        var sample = DataSpec.Parse("synthetic:1").Open(runner.Inputs).Single();
        var outputs = runner.Run(sample);
        var c1 = Assert.Single(outputs, o => o.Name == "c1_relu");
        Assert.Equal(new long[] { 1, 16, 28, 28 }, c1.Dims);
        Assert.All(c1.Values, v => Assert.True(v >= 0));
    }

    [Fact]
    public void Synthetic_token_ids_stay_below_the_rows_of_the_tables_they_index()
    {
        // ids index a 300-row vocabulary and, through a Cast, a 2-row token-type table (as BERT's segment ids do):
        // made-up values 0..9 would fail in ONNX Runtime ("indices element out of data bounds").
        var g = new Onnx.Protos.GraphProto { Name = "embeddings" };
        g.Input.Add(TestModels.Value("ids", Onnx.Protos.TensorProto.Types.DataType.Int64, 1, 64));
        g.Input.Add(TestModels.Value("types", Onnx.Protos.TensorProto.Types.DataType.Int32, 1, 64));
        g.Output.Add(TestModels.Value("y", Onnx.Protos.TensorProto.Types.DataType.Float, 1, 64, 4));
        g.Initializer.Add(Onnx.TensorData.FromFloats("vocab", [300, 4], new float[1200]));
        g.Initializer.Add(Onnx.TensorData.FromFloats("segments", [2, 4], [1, 1, 1, 1, 2, 2, 2, 2]));
        g.Node.Add(TestModels.Node("Gather", "embed", ["vocab", "ids"], ["e"]));
        g.Node.Add(TestModels.Node("Cast", "cast", ["types"], ["types64"], n => n.SetInt("to", 7)));
        g.Node.Add(TestModels.Node("Gather", "segment", ["segments", "types64"], ["s"]));
        g.Node.Add(TestModels.Node("Add", "sum", ["e", "s"], ["y"]));
        var m = new Onnx.Protos.ModelProto { IrVersion = 8, Graph = g };
        m.OpsetImport.Add(new Onnx.Protos.OperatorSetIdProto { Version = 17 });
        var model = new Onnx.OnnxModel(m);

        using var runner = ModelRunner.Create(model, "embeddings");
        Assert.Equal([300L, 2L], runner.Inputs.Select(i => i.IndexBound!.Value));
        Assert.Equal([300L, 2L], ModelInputs.Of(model).Select(i => i.IndexBound!.Value));
        foreach (var sample in DataSpec.Parse("synthetic:8").Open(runner.Inputs))
        {
            var y = runner.Run(sample).Single();
            Assert.All(y.Values, v => Assert.InRange(v, 0f, 2f));
            Assert.Contains(y.Values, v => v == 2f); // type 1 appears
        }
    }
}
