using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Factorization;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Tests.Factorization;

public class EmbeddingFactorizationTests
{
    [Fact]
    public void An_exactly_rank_4_embedding_table_becomes_gather_then_matmul_with_the_same_outputs()
    {
        var model = EmbeddingModel(tied: false);
        var result = new FactorizePass(new FactorizeOptions { Energy = 1.0 }).Apply(model);

        var embed = result.Record.Layers.Single(l => l.Node == "embed");
        Assert.Equal("svd rank 4", embed.Action);
        Assert.Equal(200 * 32, embed.ParamsBefore);
        Assert.Equal(4 * (200 + 32), embed.ParamsAfter);
        // 12 tokens: no MACs to gather rows, 12 x 4 x 32 to multiply the gathered rows of P by Q.
        Assert.Equal(0, embed.Metrics!["macs_before"]);
        Assert.Equal(12 * 4 * 32, embed.Metrics["macs_after"]);
        Assert.Equal(["Gather", "MatMul", "MatMul"], result.Model.Graph.Nodes.Select(n => n.OpType));
        var (reference, dims) = FactorTestModels.Outputs(model, batch: 0);
        var (candidate, dims2) = FactorTestModels.Outputs(result.Model, batch: 0);
        Assert.Equal(dims, dims2);
        Assert.True(Fidelity.CosineOf(reference, candidate) > 0.99999, $"cosine {Fidelity.CosineOf(reference, candidate)}");
    }

    [Fact]
    public void A_table_the_output_layer_shares_is_left_alone_with_the_reason()
    {
        // Factorizing the embedding alone would keep the table for the output layer: the model would grow.
        var e = Assert.Throws<Passes.WorkFailedException>(() => new FactorizePass(new FactorizeOptions { Energy = 1.0 }).Apply(EmbeddingModel(tied: true)));

        Assert.Contains("2x 'weight 'table' is read by 2 layers (tied weights, or identical layers the exporter merged), left as is'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Layers_the_exporter_merged_through_identity_are_named_as_sharing_their_weight_not_as_computed()
    {
        // PyTorch writes the second of two bit-identical Linear layers (cloned, as nn.TransformerEncoder clones its
        // layer) as Identity(first weight).
        var r = new Random(5);
        var g = new GraphProto { Name = "cloned" };
        g.Input.Add(TestModels.Value("x", TensorProto.Types.DataType.Float, 1, 64));
        g.Output.Add(new ValueInfoProto { Name = "y" });
        g.Initializer.Add(TensorData.FromFloats("w", [64, 64], FactorTestModels.LowRank(r, 64, 64, 4, 0)));
        g.Initializer.Add(TensorData.FromFloats("w_last", [64, 64], FactorTestModels.LowRank(r, 64, 64, 4, 0)));
        g.Node.Add(TestModels.Node("MatMul", "first", ["x", "w"], ["h1"]));
        g.Node.Add(TestModels.Node("Identity", "merged", ["w"], ["w_again"]));
        g.Node.Add(TestModels.Node("MatMul", "second", ["h1", "w_again"], ["h2"]));
        g.Node.Add(TestModels.Node("MatMul", "last", ["h2", "w_last"], ["y"]));
        var result = new FactorizePass(new FactorizeOptions { Energy = 1.0 }).Apply(FactorTestModels.Wrap(g));

        foreach (var layer in new[] { "first", "second" })
        {
            Assert.Equal("kept: weight 'w' is read by 2 layers (tied weights, or identical layers the exporter merged), left as is",
                result.Record.Layers.Single(l => l.Node == layer).Action);
        }
        Assert.Equal("svd rank 4", result.Record.Layers.Single(l => l.Node == "last").Action);
    }

    // ids [1, 12] -> Gather(table [200, 32]) -> MatMul by a [32, 16] projection (or, tied, by the table's transpose).
    private static OnnxModel EmbeddingModel(bool tied)
    {
        var r = new Random(3);
        var g = new GraphProto { Name = "embedding" };
        g.Input.Add(TestModels.Value("ids", TensorProto.Types.DataType.Int64, 1, 12));
        g.Output.Add(new ValueInfoProto { Name = "y" });
        g.Initializer.Add(TensorData.FromFloats("table", [200, 32], FactorTestModels.LowRank(r, 200, 32, 4, 0)));
        g.Node.Add(TestModels.Node("Gather", "embed", ["table", "ids"], ["rows"], n => n.SetInt("axis", 0)));
        if (tied)
        {
            g.Node.Add(TestModels.Node("Transpose", "tied_t", ["table"], ["table_t"], n => n.SetInts("perm", [1, 0])));
            g.Node.Add(TestModels.Node("MatMul", "head", ["rows", "table_t"], ["y"]));
        }
        else
        {
            g.Initializer.Add(TensorData.FromFloats("proj", [32, 16], TestModels.Random(r, 32 * 16, 0.3)));
            g.Node.Add(TestModels.Node("MatMul", "head", ["rows", "proj"], ["y"]));
        }
        return FactorTestModels.Wrap(g);
    }
}
