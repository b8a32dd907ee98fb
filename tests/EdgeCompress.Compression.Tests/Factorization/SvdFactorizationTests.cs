using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Factorization;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Tests.Factorization;

[Trait("Category", "heavy")]
public class SvdFactorizationTests
{
    // 1024 wide: the hidden layer's spectrum comes from the Gram matrix and its factors from the randomized path.
    [Theory]
    [InlineData(256, 512)]
    [InlineData(1024, 1024)]
    public void Mlp_with_trained_like_spectra_at_energy_0_95_is_at_most_half_the_parameters_and_keeps_cosine_0_99_on_held_data(int inputs, int hidden)
    {
        var mlp = AlignedMlp.Build(inputs, hidden);
        var result = new FactorizePass(new FactorizeOptions { Energy = 0.95 }).Apply(mlp.Model);

        Assert.True(result.Record.Totals["params_ratio"] <= 0.5, $"params ratio {result.Record.Totals["params_ratio"]}");
        var cosine = Fidelity.CosineOf(mlp.Outputs(mlp.Model), mlp.Outputs(result.Model));
        Assert.True(cosine >= 0.99, $"cosine {cosine}; " + string.Join("; ", result.Record.Layers.Select(l => $"{l.Node} {l.Action} {l.Metrics?.GetValueOrDefault("rel_error")}")));
        Assert.True(result.Record.Totals["layers_factorized"] >= 2);
    }

    [Fact]
    public void Same_mlp_factorized_to_rank_4_loses_fidelity_so_the_cosine_check_can_fail()
    {
        var mlp = AlignedMlp.Build();
        var result = new FactorizePass(new FactorizeOptions { Selection = RankSelection.Fixed, Rank = 4 }).Apply(mlp.Model);

        var cosine = Fidelity.CosineOf(mlp.Outputs(mlp.Model), mlp.Outputs(result.Model));
        Assert.True(cosine < 0.99, $"cosine {cosine}");
    }

    [Fact]
    public void Per_layer_record_gives_rank_params_macs_and_error()
    {
        var model = FactorTestModels.LowRankMlp(rank: 8, noise: 0.001);
        var result = new FactorizePass(new FactorizeOptions { Energy = 0.99 }).Apply(model);

        var fc1 = result.Record.Layers.Single(l => l.Node == "fc1");
        Assert.StartsWith("svd rank ", fc1.Action, StringComparison.Ordinal);
        var rank = fc1.Metrics!["rank"];
        Assert.InRange(rank, 6, 10);
        Assert.Equal((512 * 512) + 512, fc1.ParamsBefore);
        Assert.Equal((long)(rank * 1024) + 512, fc1.ParamsAfter);
        // Batch 1: a 512x512 Gemm costs 262144 MACs dense and r (512 + 512) factorized.
        Assert.Equal(512 * 512, fc1.Metrics["macs_before"]);
        Assert.Equal(rank * 1024, fc1.Metrics["macs_after"]);
        Assert.InRange(fc1.Metrics["rel_error"], 0, 0.1);
    }

    [Fact]
    public void Full_energy_on_an_exactly_low_rank_weight_reproduces_the_outputs()
    {
        var model = FactorTestModels.LowRankMlp(rank: 6, noise: 0);
        var result = new FactorizePass(new FactorizeOptions { Energy = 1.0 }).Apply(model);

        Assert.Equal(6, result.Record.Layers.Single(l => l.Node == "fc0").Metrics!["rank"]);
        var (reference, _) = FactorTestModels.Outputs(model);
        var (candidate, _) = FactorTestModels.Outputs(result.Model);
        Assert.True(Fidelity.CosineOf(reference, candidate) > 0.99999);
    }

    [Theory]
    [InlineData(0, 0, 1.0f, 1.0f, true)]
    [InlineData(1, 0, 0.5f, 2.0f, true)]
    [InlineData(0, 1, 2.0f, 0.5f, true)]
    [InlineData(1, 1, 0.25f, 1.0f, false)]
    public void Gemm_with_weight_on_either_side_and_any_transpose_alpha_beta_keeps_its_outputs(int transA, int transB, float alpha, float beta, bool weightIsB)
    {
        var model = GemmModel(transA, transB, alpha, beta, weightIsB);
        var result = new FactorizePass(new FactorizeOptions { Selection = RankSelection.Fixed, Rank = 4 }).Apply(model);

        Assert.Equal(2, result.Model.Graph.Nodes.Count(n => n.OpType == "Gemm"));
        var (reference, dims) = FactorTestModels.Outputs(model, samples: 4, batch: 0);
        var (candidate, dims2) = FactorTestModels.Outputs(result.Model, samples: 4, batch: 0);
        Assert.Equal(dims, dims2);
        Assert.True(Fidelity.CosineOf(reference, candidate) > 0.99999, $"cosine {Fidelity.CosineOf(reference, candidate)}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void MatMul_with_weight_on_either_side_becomes_two_matmuls_with_the_same_outputs(bool weightRight)
    {
        var r = new Random(3);
        var g = new GraphProto { Name = "mm" };
        g.Input.Add(TestModels.Value("x", TensorProto.Types.DataType.Float, 2, 48, 48));
        g.Output.Add(new ValueInfoProto { Name = "y" });
        g.Initializer.Add(TensorData.FromFloats("w", [48, 48], FactorTestModels.LowRank(r, 48, 48, 5, 0)));
        g.Node.Add(TestModels.Node("MatMul", "mm", weightRight ? ["x", "w"] : ["w", "x"], ["y"]));
        var model = Wrap(g);

        var result = new FactorizePass(new FactorizeOptions { Selection = RankSelection.Fixed, Rank = 5 }).Apply(model);

        Assert.Equal(2, result.Model.Graph.Nodes.Count(n => n.OpType == "MatMul"));
        Assert.DoesNotContain(result.Model.Graph.Proto.Initializer, t => t.Name == "w");
        var (reference, _) = FactorTestModels.Outputs(model, samples: 2, batch: 0);
        var (candidate, _) = FactorTestModels.Outputs(result.Model, samples: 2, batch: 0);
        Assert.True(Fidelity.CosineOf(reference, candidate) > 0.99999);
    }

    [Fact]
    public void Input_model_is_not_modified()
    {
        var model = FactorTestModels.LowRankMlp();
        var before = model.ToBytes();
        _ = new FactorizePass(new FactorizeOptions()).Apply(model);
        Assert.Equal(before, model.ToBytes());
    }

    [Fact]
    public void Layers_that_would_not_save_the_margin_are_kept_and_a_model_of_only_those_is_refused_naming_why()
    {
        var model = TestModels.Mlp(); // random weights: flat spectra, so no rank at 95% energy saves anything

        var refused = Assert.Throws<EdgeCompress.Compression.Passes.WorkFailedException>(() => new FactorizePass(new FactorizeOptions { Energy = 0.95 }).Apply(model));

        Assert.Matches(@"^factorize changed no layer of the model: no layer is worth factorizing \(\dx 'rank \d+ would keep \d+ % of the weights'.*\); no model written$", refused.Message);
    }

    private static OnnxModel GemmModel(int transA, int transB, float alpha, float beta, bool weightIsB)
    {
        // Y = alpha A' B' + beta C with A' [6 x 40] (data or weight), B' [40 x 32].
        var r = new Random(11);
        var g = new GraphProto { Name = "gemm" };
        long[] aDims = transA == 1 ? [40, 6] : [6, 40];
        long[] bDims = transB == 1 ? [32, 40] : [40, 32];
        if (weightIsB)
        {
            g.Input.Add(TestModels.Value("a", TensorProto.Types.DataType.Float, aDims));
            g.Initializer.Add(TensorData.FromFloats("b", bDims, FactorTestModels.LowRank(r, (int)bDims[0], (int)bDims[1], 4, 0)));
            g.Output.Add(new ValueInfoProto { Name = "y" });
            g.Initializer.Add(TensorData.FromFloats("c", [32], TestModels.Random(r, 32, 0.5)));
        }
        else
        {
            // Weight on the left: A' is [32 x 40], data B' is [40 x 6].
            aDims = transA == 1 ? [40, 32] : [32, 40];
            bDims = transB == 1 ? [6, 40] : [40, 6];
            g.Initializer.Add(TensorData.FromFloats("a", aDims, FactorTestModels.LowRank(r, (int)aDims[0], (int)aDims[1], 4, 0)));
            g.Input.Add(TestModels.Value("b", TensorProto.Types.DataType.Float, bDims));
            g.Output.Add(new ValueInfoProto { Name = "y" });
            g.Initializer.Add(TensorData.FromFloats("c", [6], TestModels.Random(r, 6, 0.5)));
        }
        g.Node.Add(TestModels.Node("Gemm", "gemm", ["a", "b", "c"], ["y"], n =>
        {
            n.SetInt("transA", transA);
            n.SetInt("transB", transB);
            n.SetFloat("alpha", alpha);
            n.SetFloat("beta", beta);
        }));
        return Wrap(g);
    }

    internal static OnnxModel Wrap(GraphProto g)
    {
        var m = new ModelProto { IrVersion = 8, ProducerName = "edgecompress-tests", Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return new OnnxModel(m);
    }
}
