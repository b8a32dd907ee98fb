using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Factorization;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Tests.Factorization;

public class ConvFactorizationTests
{
    public static TheoryData<string> SpatialVariants => new() { "plain", "stride2_pad1", "dilation2_pad2", "same_upper_stride2", "asymmetric_pads" };

    private static Action<NodeProto> Attributes(string variant) => variant switch
    {
        "stride2_pad1" => n => { n.SetInts("strides", [2, 2]); n.SetInts("pads", [1, 1, 1, 1]); },
        "dilation2_pad2" => n => { n.SetInts("dilations", [2, 2]); n.SetInts("pads", [2, 2, 2, 2]); },
        "same_upper_stride2" => n => { n.SetString("auto_pad", "SAME_UPPER"); n.SetInts("strides", [2, 2]); },
        "asymmetric_pads" => n => n.SetInts("pads", [0, 1, 2, 1]),
        _ => _ => { },
    };

    [Theory]
    [MemberData(nameof(SpatialVariants))]
    public void Tucker2_of_a_conv_with_exact_tucker_ranks_reproduces_outputs_with_strides_pads_and_dilations(string variant)
    {
        var model = FactorTestModels.TuckerConv(cin: 24, cout: 32, k: 3, rin: 4, rout: 6, Attributes(variant));
        var result = new FactorizePass(new FactorizeOptions { Energy = 1.0, Method = FactorMethod.Tucker }).Apply(model);

        var layer = result.Record.Layers.Single();
        Assert.Equal("tucker2 ranks 4,6", layer.Action);
        Assert.Equal(3, result.Model.Graph.Nodes.Count(n => n.OpType == "Conv"));
        AssertSameOutputs(model, result.Model, 0.9999);
        // 24*4 + 4*6*9 + 6*32 weights + 32 bias.
        Assert.Equal((24 * 4) + (4 * 6 * 9) + (6 * 32) + 32, layer.ParamsAfter);
    }

    [Theory]
    [MemberData(nameof(SpatialVariants))]
    public void Cp_of_a_conv_with_exact_cp_rank_reproduces_outputs_through_separable_depthwise_convs(string variant)
    {
        var model = FactorTestModels.TuckerConv(cin: 16, cout: 24, k: 3, rin: 5, rout: 5, Attributes(variant), cpStructure: true);
        var result = new FactorizePass(new FactorizeOptions { Selection = RankSelection.Fixed, Rank = 5, Method = FactorMethod.Cp }).Apply(model);

        var layer = result.Record.Layers.Single();
        Assert.StartsWith("cp rank 5", layer.Action, StringComparison.Ordinal);
        var convs = result.Model.Graph.Nodes.Where(n => n.OpType == "Conv").ToList();
        Assert.Equal(4, convs.Count);
        Assert.Equal(5, convs[1].GetInt("group", 1));
        Assert.Equal(5, convs[2].GetInt("group", 1));
        Assert.True(layer.Metrics!["rel_error"] < 0.01, $"CP error {layer.Metrics["rel_error"]}");
        AssertSameOutputs(model, result.Model, 0.999);
    }

    [Fact]
    public void Svd_method_on_a_3x3_conv_gives_a_narrow_3x3_conv_then_a_1x1_with_the_bias()
    {
        var model = FactorTestModels.TuckerConv(cin: 16, cout: 32, k: 3, rin: 16, rout: 4, n => n.SetInts("pads", [1, 1, 1, 1]));
        var result = new FactorizePass(new FactorizeOptions { Energy = 1.0, Method = FactorMethod.Svd }).Apply(model);

        var convs = result.Model.Graph.Nodes.Where(n => n.OpType == "Conv").ToList();
        Assert.Equal(2, convs.Count);
        Assert.Equal([3L, 3L], convs[0].GetInts("kernel_shape")!);
        Assert.Equal([1L, 1L], convs[1].GetInts("kernel_shape")!);
        Assert.Equal("b", convs[1].Input[2]);
        AssertSameOutputs(model, result.Model, 0.9999);
    }

    [Fact]
    public void A_model_whose_only_conv_is_grouped_is_refused_naming_why_and_nothing_is_written()
    {
        var model = FactorTestModels.TuckerConv(cin: 8, cout: 8, k: 3, rin: 2, rout: 2);
        var w = model.Graph.Initializers["w"];
        TensorData.SetValues<float>(w, [8, 4, 3, 3], TensorData.ToFloats(w).Take(8 * 4 * 9).ToArray());
        model.Graph.Nodes[0].SetInt("group", 2);

        var refused = Assert.Throws<EdgeCompress.Compression.Passes.WorkFailedException>(() => new FactorizePass(new FactorizeOptions()).Apply(model));

        Assert.Contains("factorize changed no layer", refused.Message, StringComparison.Ordinal);
        Assert.Contains("group 2", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Small_cnn_reaches_half_the_parameters_with_a_params_target()
    {
        var model = TestModels.SmallCnn(c1: 32, c2: 64);
        var result = new FactorizePass(new FactorizeOptions { Selection = RankSelection.ParamsFraction, ParamsFraction = 0.5 }).Apply(model);

        Assert.True(result.Record.Totals["params_ratio"] <= 0.5, $"ratio {result.Record.Totals["params_ratio"]}");
        var (a, dims) = FactorTestModels.Outputs(model);
        var (b, dims2) = FactorTestModels.Outputs(result.Model);
        Assert.Equal(dims, dims2);
        Assert.True(Fidelity.CosineOf(a, b) > 0.5);
    }

    internal static void AssertSameOutputs(OnnxModel reference, OnnxModel candidate, double minCosine)
    {
        var (a, dims) = FactorTestModels.Outputs(reference, samples: 2, batch: 2);
        var (b, dims2) = FactorTestModels.Outputs(candidate, samples: 2, batch: 2);
        Assert.Equal(dims, dims2);
        var cosine = Fidelity.CosineOf(a, b);
        Assert.True(cosine >= minCosine, $"cosine {cosine}");
    }
}
