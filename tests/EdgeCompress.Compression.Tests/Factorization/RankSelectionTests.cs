using EdgeCompress.Compression.Factorization;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Tests.Factorization;

public class RankSelectionTests
{
    [Theory]
    [InlineData(200, 300, 10)]
    [InlineData(512, 128, 20)]
    public void Vbmf_recovers_the_planted_rank_of_a_low_rank_plus_noise_matrix(int m, int n, int rank)
    {
        var values = FactorTestModels.LowRank(new Random(2), m, n, rank, noise: 0.05);
        var s = Svd.Thin(Svd.FromRowMajor(values, m, n)).S;

        Assert.InRange(Vbmf.EstimateRank(s, m, n), rank - 2, rank);
    }

    [Fact]
    public void Vbmf_finds_almost_no_signal_in_pure_noise()
    {
        var values = TestModels.Random(new Random(4), 256 * 256, 1);
        var s = Svd.Thin(Svd.FromRowMajor(values, 256, 256)).S;

        Assert.InRange(Vbmf.EstimateRank(s, 256, 256), 1, 3);
    }

    [Fact]
    public void Energy_rank_is_the_smallest_rank_reaching_the_fraction()
    {
        double[] s = [4, 2, 1, 1]; // energies 16, 4, 1, 1 of 22
        Assert.Equal(1, Spectrum.RankForEnergy(s, 0.7));
        Assert.Equal(2, Spectrum.RankForEnergy(s, 0.9));
        Assert.Equal(3, Spectrum.RankForEnergy(s, 0.95));
        Assert.Equal(4, Spectrum.RankForEnergy(s, 1.0));
        Assert.Equal(1.0 / 22, Spectrum.TailFraction(s, 3), 12);
    }

    [Fact]
    public void Round_to_makes_every_rank_a_multiple_of_n()
    {
        var model = FactorTestModels.LowRankMlp(rank: 13, noise: 0);
        var result = new FactorizePass(new FactorizeOptions { Energy = 1.0, RoundTo = 8 }).Apply(model);

        var ranks = result.Record.Layers.Where(l => l.Metrics?.ContainsKey("rank") == true).Select(l => (int)l.Metrics!["rank"]).ToList();
        Assert.NotEmpty(ranks);
        Assert.All(ranks, r => Assert.Equal(0, r % 8));
        Assert.Contains(16, ranks);
    }

    [Fact]
    public void Params_target_spreads_ranks_so_the_low_rank_layer_is_cut_more_than_the_full_rank_one()
    {
        // fc0 is exactly rank 8 (cheap to cut), fc1 random (every rank step costs error).
        var model = FactorTestModels.LowRankMlp(rank: 8, noise: 0);
        var random = TestModels.Random(new Random(8), 512 * 512, 0.05);
        TensorData.SetValues<float>(model.Graph.Initializers["fc1_w"], [512, 512], random);
        var result = new FactorizePass(new FactorizeOptions { Selection = RankSelection.ParamsFraction, ParamsFraction = 0.6 }).Apply(model);

        Assert.True(result.Record.Totals["params_ratio"] <= 0.6);
        var fc0 = result.Record.Layers.Single(l => l.Node == "fc0");
        Assert.Equal(8, fc0.Metrics!["rank"]);
        Assert.True(fc0.Metrics["rel_error"] < 1e-3);
    }

    [Fact]
    public void Global_rank_larger_than_a_layer_allows_skips_that_layer_with_a_warning_naming_it()
    {
        var model = FactorTestModels.LowRankMlp(rank: 8);
        var result = new FactorizePass(new FactorizeOptions { Selection = RankSelection.Fixed, Rank = 64 }).Apply(model);

        Assert.Contains(result.Record.Warnings, w => w.StartsWith("node 'fc2': rank 64 is larger than this svd layer allows (10)", StringComparison.Ordinal));
        Assert.Equal("svd rank 64", result.Record.Layers.Single(l => l.Node == "fc1").Action);
    }

    [Fact]
    public void Per_node_rank_larger_than_the_layer_allows_is_an_error_naming_the_node()
    {
        var model = FactorTestModels.LowRankMlp(rank: 8);
        var options = new FactorizeOptions { Selection = RankSelection.Fixed, NodeRanks = new Dictionary<string, int> { ["fc2"] = 11 } };

        var e = Assert.Throws<InputException>(() => new FactorizePass(options).Apply(model));
        Assert.Equal("--rank fc2=11: rank 11 is larger than this svd layer allows (10)", e.Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.5)]
    [InlineData(1.01)]
    [InlineData(double.NaN)]
    public void Energy_outside_zero_to_one_is_refused(double energy)
    {
        var e = Assert.Throws<InputException>(() => new FactorizePass(new FactorizeOptions { Energy = energy }).Apply(TestModels.Mlp()));
        Assert.StartsWith("--rank-energy must be in (0, 1]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Matmul_weight_that_is_a_graph_input_is_skipped_and_a_model_with_nothing_else_is_refused()
    {
        var g = new GraphProto { Name = "g" };
        g.Input.Add(TestModels.Value("x", TensorProto.Types.DataType.Float, 2, 16));
        g.Input.Add(TestModels.Value("w", TensorProto.Types.DataType.Float, 16, 16));
        g.Initializer.Add(TensorData.FromFloats("w", [16, 16], new float[256]));
        g.Output.Add(new ValueInfoProto { Name = "y" });
        g.Node.Add(TestModels.Node("MatMul", "mm", ["x", "w"], ["y"]));
        var m = new ModelProto { IrVersion = 8, Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });

        // Its only layer is skipped, so the pass refuses with that reason instead of returning the model unchanged.
        var refused = Assert.Throws<EdgeCompress.Compression.Passes.WorkFailedException>(() => new FactorizePass(new FactorizeOptions()).Apply(new OnnxModel(m)));

        Assert.Contains("(1x 'weights are not constant (computed or a graph input), left as is')", refused.Message, StringComparison.Ordinal);
    }
}
