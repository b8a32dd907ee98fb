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
        var model = EmbeddingModel(tied: true);
        var result = new FactorizePass(new FactorizeOptions { Energy = 1.0 }).Apply(model);

        var embed = result.Record.Layers.Single(l => l.Node == "embed");
        Assert.Equal("kept: embedding table is shared with another node (tied weights), left as is", embed.Action);
        Assert.Contains(result.Model.Graph.Nodes, n => n.OpType == "Gather" && n.Input[0] == "table");
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
