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
