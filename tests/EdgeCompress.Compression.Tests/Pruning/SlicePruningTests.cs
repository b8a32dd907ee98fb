using EdgeCompress.Compression.Pruning;
using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Tests.Pruning;

/// <summary>Slice along the channels (a layer's output cut in two, each half to its own layer): the bounds follow the
/// kept channels.</summary>
public class SlicePruningTests
{
    [Fact]
    public void Constant_slice_bounds_along_the_channels_move_with_the_kept_channels_and_outputs_stay_the_same()
    {
        var b = new NetBuilder("x", [1, 3, 8, 8]);
        var c = b.Relu(b.Conv("x", 3, 16, zeroFirst: 0.25, name: "stem")); // channels 0-3 are dead, all in the first half
        var axes = b.Int64s([1]);
        var first = b.Op("Slice", [c, b.Int64s([0]), b.Int64s([8]), axes]);
        var second = b.Op("Slice", [c, b.Int64s([8]), b.Int64s([16]), b.Int64s([-3])]);
        var sum = b.Add(b.Conv(first, 8, 12, name: "left"), b.Conv(second, 8, 12, name: "right"));
        var model = b.Build(b.Head(sum, 12), 1, 10);

        // The cuts make the stem two parts; ranked together, the dead channels go first.
        var result = ChannelPruningTests.Prune(model, 0.25, global: true, only: ["stem"]);

        ChannelPruningTests.AssertSameOutputs(model, result.Model);
        Assert.Equal(12, ChannelPruningTests.Dims(result.Model, "stem_w")[0]);
        Assert.Equal(4, ChannelPruningTests.Dims(result.Model, "left_w")[1]);
        Assert.Equal(8, ChannelPruningTests.Dims(result.Model, "right_w")[1]);
        var slices = result.Model.Graph.Nodes.Where(n => n.OpType == "Slice").ToList();
        var store = new OnnxGraph(result.Model.Proto.Graph);
        long Bound(int slice, int input) => TensorData.ToInt64s(store.GetConstant(slices[slice].Input[input])!)[0];
        Assert.Equal((0L, 4L), (Bound(0, 1), Bound(0, 2)));
        Assert.Equal((4L, 12L), (Bound(1, 1), Bound(1, 2)));
    }

    [Fact]
    public void A_slice_cutting_through_a_channel_group_blocks_it_with_the_reason()
    {
        var b = new NetBuilder("x", [1, 3, 8, 8]);
        var c = b.Relu(b.Conv("x", 3, 16, name: "stem"));
        var taken = b.Op("Slice", [c, b.Int64s([0]), b.Int64s([16]), b.Int64s([1]), b.Int64s([2])]); // every other channel
        var model = b.Build(b.Head(b.Conv(taken, 8, 8, name: "next"), 8), 1, 10);

        var result = ChannelPruningTests.Prune(model, 0.25);

        Assert.Contains(result.Record.Warnings, w => w.Contains("layer stem not pruned: ", StringComparison.Ordinal) && w.Contains("(Slice) takes one channel in 2", StringComparison.Ordinal));
        Assert.Equal(16, ChannelPruningTests.Dims(result.Model, "stem_w")[0]);
    }
}

/// <summary>LayerNormalization (opset 17) over the channels: its scale and bias follow the kept channels.</summary>
public class LayerNormPruningTests
{
    [Fact]
    public void Layer_normalization_over_the_last_axis_is_sliced_with_the_layer_before_it()
    {
        var model = Tokens(axis: -1);

        var result = ChannelPruningTests.Prune(model, 0.5);

        Assert.Equal([16, 16], ChannelPruningTests.Dims(result.Model, "w1"));
        Assert.Equal([16], ChannelPruningTests.Dims(result.Model, "ln_scale"));
        Assert.Equal([16], ChannelPruningTests.Dims(result.Model, "ln_bias"));
        Assert.Equal([16, 8], ChannelPruningTests.Dims(result.Model, "w2"));
        var (values, dims) = Factorization.FactorTestModels.Outputs(result.Model, samples: 2, batch: 0);
        Assert.Equal([1, 6, 8], dims);
        Assert.All(values, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Layer_normalization_over_more_axes_than_the_channels_blocks_them_with_the_reason()
    {
        var e = Assert.Throws<Passes.WorkFailedException>(() => ChannelPruningTests.Prune(Tokens(axis: 1), 0.5));

        Assert.Contains("(LayerNormalization) normalizes them together with other axes", e.Message, StringComparison.Ordinal);
    }

    // x [1, 6, 16] -> MatMul [16, 32] -> LayerNormalization -> MatMul [32, 8] -> y [1, 6, 8].
    private static OnnxModel Tokens(int axis)
    {
        var b = new NetBuilder("x", [1, 6, 16]);
        var h = b.Op("MatMul", ["x", b.Weight("w1", [16, 32], 0.25)], n => n.Name = "mm1");
        long[] scaleDims = axis == -1 ? [32] : [6, 32];
        var ln = b.Op("LayerNormalization", [h, b.Weight("ln_scale", scaleDims, 1), b.Weight("ln_bias", scaleDims, 0.1)], n => n.SetInt("axis", axis));
        var y = b.Op("MatMul", [ln, b.Weight("w2", [32, 8], 0.2)], n => n.Name = "mm2");
        return b.Build(y, 1, 6, 8);
    }
}
