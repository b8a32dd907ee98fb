using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Passes;
using EdgeCompress.Compression.Pruning;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Tests.Pruning;

public class ChannelPruningTests
{
    internal static PassResult Prune(OnnxModel model, double ratio, ChannelImportanceKind importance = ChannelImportanceKind.L1,
        bool global = false, int roundTo = 1, string[]? exclude = null, string[]? only = null, string? calibration = null) =>
        new ChannelPruningPass(new ChannelPruningOptions
        {
            Ratio = ratio,
            Importance = importance,
            Global = global,
            RoundTo = roundTo,
            Exclude = exclude ?? [],
            Only = only ?? [],
            Calibration = calibration is null ? null : DataSpec.Parse(calibration),
        }).Apply(model);

    internal static RunOutput RunOnce(OnnxModel model, int rows = 2)
    {
        using var runner = ModelRunner.Create(model, "test");
        var sample = DataSpec.Parse($"synthetic:{rows}").Open(runner.Inputs, rows).First();
        return runner.Run(sample)[0];
    }

    internal static long[] Dims(OnnxModel model, string tensor) => new ParamStoreProbe(model).Dims(tensor);

    [Fact]
    public void Residual_net_pruned_30_percent_runs_in_onnx_runtime_with_the_same_output_shape_and_fewer_parameters()
    {
        var model = PruningTestModels.ResNet();
        var result = Prune(model, 0.3);
        Assert.Equal(RunOnce(model).Dims, RunOnce(result.Model).Dims);
        Assert.True(result.Record.Totals["params_after"] < 0.6 * result.Record.Totals["params_before"]);
        Assert.True(result.Model.ToBytes().Length < 0.6 * model.ToBytes().Length);
    }

    [Fact]
    public void Channels_tied_across_residual_adds_keep_the_same_count_in_every_layer_of_the_group()
    {
        var result = Prune(PruningTestModels.ResNet(), 0.3);
        var stem = Dims(result.Model, "stem_w")[0];
        Assert.Equal(11, stem); // 16 - round(4.8)
        // The second conv of each identity block is added to the stem's channels.
        Assert.Equal(stem, Dims(result.Model, "block0b_w")[0]);
        Assert.Equal(stem, Dims(result.Model, "block1b_w")[0]);
        Assert.Equal(stem, Dims(result.Model, "block1a_w")[1]);
        Assert.Equal(Dims(result.Model, "shortcut_w")[0], Dims(result.Model, "down_b_w")[0]);
        Assert.Equal(22, Dims(result.Model, "down_b_w")[0]);
        Assert.Equal(stem, Dims(result.Model, "shortcut_w")[1]);
    }

    [Fact]
    public void Removing_dead_residual_channels_leaves_the_outputs_unchanged()
    {
        var model = PruningTestModels.ResNet(withBn: false, zero: 0.25);
        var result = Prune(model, 0.25);
        AssertSameOutputs(model, result.Model);
        Assert.Equal(12, Dims(result.Model, "stem_w")[0]);
    }

    [Fact]
    public void Inverted_residuals_with_depthwise_and_squeeze_excite_prune_and_keep_the_output_shape()
    {
        var model = PruningTestModels.MobileNet();
        var result = Prune(model, 0.3);
        Assert.Equal(RunOnce(model).Dims, RunOnce(result.Model).Dims);
        var depthwise = result.Model.Graph.Nodes.Where(n => n.OpType == "Conv" && n.GetInt("group", 1) > 1).ToList();
        Assert.Equal(3, depthwise.Count);
        var store = new ParamStoreProbe(result.Model);
        foreach (var dw in depthwise)
        {
            var channels = store.Dims(dw.Input[1])[0];
            Assert.Equal(channels, dw.GetInt("group", 1));
            Assert.True(channels < 96);
            // The squeeze-excite gate multiplies the depthwise output: its expand conv has as many outputs.
            var mul = result.Model.Graph.Nodes.Single(n => n.OpType == "Mul" && n.Input[0].StartsWith("clip", StringComparison.Ordinal)
                && result.Model.Graph.Producer(n.Input[0])!.Input[0].StartsWith(result.Model.Graph.Consumers(dw.Output[0])[0].Output[0], StringComparison.Ordinal));
            var gateConv = result.Model.Graph.Producer(result.Model.Graph.Producer(mul.Input[1])!.Input[0])!;
            Assert.Equal(channels, store.Dims(gateConv.Input[1])[0]);
        }
        Assert.True(result.Record.Totals["macs_after"] < 0.7 * result.Record.Totals["macs_before"]);
    }

    [Fact]
    public void Weights_stored_as_constant_nodes_prune_exactly_like_initializers()
    {
        var fromInitializers = Prune(PruningTestModels.MobileNet(), 0.3);
        var fromConstants = Prune(PruningTestModels.MobileNet(constantNodes: true), 0.3);
        Assert.Equal(fromInitializers.Record.Totals["params_after"], fromConstants.Record.Totals["params_after"]);
        Assert.Equal(RunOnce(fromInitializers.Model).Values, RunOnce(fromConstants.Model).Values);
        Assert.DoesNotContain(fromConstants.Model.Proto.Graph.Initializer, t => t.Name.EndsWith("_w", StringComparison.Ordinal));
    }

    [Fact]
    public void Concat_and_split_offsets_follow_the_pruned_branches_and_a_split_through_a_layer_cuts_it_into_parts()
    {
        var model = PruningTestModels.ConcatNet();
        var result = Prune(model, 0.3);
        Assert.Equal(RunOnce(model).Dims, RunOnce(result.Model).Dims);
        // wide's 32 outputs are split in halves that are added: each half is its own part, the Add ties them, so
        // both halves keep the same channels and the split sizes stay equal.
        Assert.DoesNotContain(result.Record.Warnings, w => w.Contains("layer wide not pruned", StringComparison.Ordinal));
        Assert.Equal(22, Dims(result.Model, "wide_w")[0]);
        var split = result.Model.Graph.Nodes.Single(n => n.OpType == "Split" && n.Input[0] == "wide_out");
        Assert.Equal(new long[] { 11, 11 }, TensorData.ToInt64s(result.Model.Graph.GetConstant(split.Input[1])!));
        Assert.True(Dims(result.Model, "wide_w")[1] < 40);
    }

    [Fact]
    public void Removing_dead_channels_behind_concat_and_split_leaves_the_outputs_unchanged()
    {
        var model = PruningTestModels.ConcatNet(withBn: false, zero: 0.25);
        // wide's dead channels all lie in the first of the two halves its Add ties together: not removable alone.
        var result = Prune(model, 0.25, exclude: ["wide"]);
        AssertSameOutputs(model, result.Model);
        Assert.True(result.Record.Totals["params_after"] < result.Record.Totals["params_before"]);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Flatten_or_reshape_into_gemm_drops_whole_channel_by_spatial_blocks(bool reshape, bool computedShape)
    {
        var model = PruningTestModels.FlattenNet(withBn: false, zero: 0.25, reshape: reshape, computedShape: computedShape);
        var result = Prune(model, 0.25);
        AssertSameOutputs(model, result.Model);
        Assert.Equal(9, Dims(result.Model, "c2_w")[0]);
        Assert.Equal(9 * 49, Dims(result.Model, "fc_w")[1]);
    }

    [Fact]
    public void A_layer_whose_channels_are_the_model_output_is_skipped_with_a_warning_naming_it()
    {
        var result = Prune(TestModels.SmallCnn(), 0.5);
        Assert.Contains("layer fc not pruned: its channels are model output 'logits'", result.Record.Warnings);
        Assert.Equal(10, Dims(result.Model, "fc_w")[0]);
    }

    [Fact]
    public void A_layer_read_by_an_operator_without_a_channel_rule_is_skipped_with_a_warning_and_the_rest_is_pruned()
    {
        var b = new NetBuilder("input", [-1, 3, 16, 16]);
        var x = b.Relu(b.Conv("input", 3, 16, name: "a"));
        x = b.Op("DepthToSpace", [x], n => n.SetInt("blocksize", 2)); // 16 channels -> 4 channels at 2x resolution
        x = b.Relu(b.Conv(x, 4, 24, name: "b"));
        x = b.Relu(b.Conv(x, 24, 24, name: "c"));
        b.Head(x, 24);
        var model = b.Build("logits", -1, 10);
        var result = Prune(model, 0.5);
        Assert.Contains(result.Record.Warnings, w => w.StartsWith("layer a not pruned: depthtospace", StringComparison.Ordinal) && w.Contains("(DepthToSpace) reads them", StringComparison.Ordinal));
        Assert.Equal(16, Dims(result.Model, "a_w")[0]);
        Assert.Equal(12, Dims(result.Model, "b_w")[0]);
        Assert.Equal(RunOnce(model).Dims, RunOnce(result.Model).Dims);
    }

    [Fact]
    public void Channels_concatenated_with_a_model_input_are_pruned_around_the_input_slice()
    {
        var b = new NetBuilder("input", [-1, 3, 16, 16]);
        var x = b.Relu(b.Conv("input", 3, 8, name: "a"));
        x = b.Concat("input", x); // 3 input channels, then 8 prunable ones
        x = b.Relu(b.Conv(x, 11, 8, name: "b"));
        b.Head(x, 8);
        var model = b.Build("logits", -1, 10);
        var result = Prune(model, 0.5);
        Assert.Equal(4, Dims(result.Model, "a_w")[0]);
        Assert.Equal(3 + 4, Dims(result.Model, "b_w")[1]);
        Assert.Equal(RunOnce(model).Dims, RunOnce(result.Model).Dims);
    }

    [Fact]
    public void Asking_explicitly_for_a_layer_that_cannot_be_pruned_is_an_error_naming_it()
    {
        var e = Assert.Throws<InputException>(() => Prune(TestModels.SmallCnn(), 0.5, only: ["fc"]));
        Assert.Equal("layer fc cannot be pruned: its channels are model output 'logits'", e.Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.2)]
    [InlineData(1.5)]
    public void A_ratio_outside_zero_to_one_is_refused(double ratio)
    {
        var e = Assert.Throws<InputException>(() => Prune(TestModels.SmallCnn(), ratio));
        Assert.StartsWith("--channels must be a fraction in (0, 1)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Excluded_layers_keep_their_channels_and_unknown_names_are_refused()
    {
        var result = Prune(TestModels.SmallCnn(), 0.5, exclude: ["c1"]);
        Assert.Equal(16, Dims(result.Model, "c1_w")[0]);
        Assert.Equal(16, Dims(result.Model, "c2_w")[0]);
        var e = Assert.Throws<InputException>(() => Prune(TestModels.SmallCnn(), 0.5, exclude: ["nope"]));
        Assert.Equal("--exclude: the model has no node named 'nope'", e.Message);
    }

    [Fact]
    public void Round_to_keeps_channel_counts_at_multiples_of_eight()
    {
        var result = Prune(TestModels.SmallCnn(c1: 24, c2: 40), 0.3, roundTo: 8);
        Assert.Equal(16, Dims(result.Model, "c1_w")[0]); // 24 - 7 = 17 -> 16
        Assert.Equal(32, Dims(result.Model, "c2_w")[0]); // 40 - 12 = 28 -> 3.5 multiples, rounded up -> 32
    }

    [Fact]
    public void Half_the_channels_of_the_small_cnn_leaves_at_most_0_3x_the_parameters_and_macs()
    {
        var result = Prune(TestModels.SmallCnn(), 0.5);
        Assert.True(result.Record.Totals["params_after"] <= 0.3 * result.Record.Totals["params_before"], $"params {result.Record.Totals["params_after"]}/{result.Record.Totals["params_before"]}");
        Assert.True(result.Record.Totals["macs_after"] <= 0.3 * result.Record.Totals["macs_before"], $"macs {result.Record.Totals["macs_after"]}/{result.Record.Totals["macs_before"]}");
    }

    [Fact]
    public void A_tail_ratio_applies_to_the_smallest_feature_maps_and_named_layer_ratios_override_both()
    {
        static PassResult With(double? tail, Dictionary<string, double>? layers = null) => new ChannelPruningPass(new ChannelPruningOptions
        {
            Ratio = 0.5,
            TailRatio = tail,
            LayerRatios = layers ?? [],
        }).Apply(TestModels.SmallCnn());

        // c1 writes 28x28 maps, c2 (after the pool) 14x14: c2 is the tail.
        var tailed = With(0.25);
        Assert.Equal((8L, 24L), (Dims(tailed.Model, "c1_w")[0], Dims(tailed.Model, "c2_w")[0]));
        Assert.Equal("0.25", tailed.Record.Settings["tail_ratio"]);
        var named = With(0.25, new() { ["c2"] = 0.75, ["c1"] = 0 });
        Assert.Equal((16L, 8L), (Dims(named.Model, "c1_w")[0], Dims(named.Model, "c2_w")[0]));
        Assert.Equal(RunOnce(TestModels.SmallCnn()).Dims, RunOnce(named.Model).Dims);

        var unknown = Assert.Throws<InputException>(() => With(null, new() { ["nope"] = 0.5 }));
        Assert.Equal("--layer-ratio: the model has no node named 'nope'", unknown.Message);
        var outOfRange = Assert.Throws<InputException>(() => With(1.0));
        Assert.StartsWith("--tail-ratio must be a fraction in [0, 1)", outOfRange.Message, StringComparison.Ordinal);
        var global = Assert.Throws<InputException>(() => new ChannelPruningPass(new ChannelPruningOptions { Ratio = 0.5, Global = true, TailRatio = 0.25 }).Apply(TestModels.SmallCnn()));
        Assert.Contains("--global", global.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Global_ranking_removes_the_requested_share_of_channels_overall()
    {
        var result = Prune(PruningTestModels.ResNet(), 0.4, global: true);
        var pruned = result.Record.Layers.Sum(l => int.Parse(l.Action.Split(' ')[1].Split('/')[0], System.Globalization.CultureInfo.InvariantCulture));
        Assert.InRange(pruned, 1, int.MaxValue);
        Assert.Equal(RunOnce(PruningTestModels.ResNet()).Dims, RunOnce(result.Model).Dims);
    }

    internal static void AssertSameOutputs(OnnxModel a, OnnxModel b)
    {
        var x = RunOnce(a, 3);
        var y = RunOnce(b, 3);
        Assert.Equal(x.Dims, y.Dims);
        for (var i = 0; i < x.Values.Length; i++)
        {
            Assert.True(Math.Abs(x.Values[i] - y.Values[i]) <= 1e-4 * (1 + Math.Abs(x.Values[i])), $"output {i}: {x.Values[i]} vs {y.Values[i]}");
        }
        Assert.True(Fidelity.CosineOf(x.Values, y.Values) > 0.99999);
    }
}

/// <summary>Reads constant dims whether they are initializers or Constant nodes.</summary>
internal sealed class ParamStoreProbe(OnnxModel model)
{
    public long[] Dims(string name)
    {
        var g = model.Graph;
        if (g.Initializers.TryGetValue(name, out var t))
        {
            return t.Dims.ToArray();
        }
        return g.Producer(name)!.Attribute.Single(a => a.Name == "value").T.Dims.ToArray();
    }
}
