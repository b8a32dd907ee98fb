using EdgeCompress.Compression.Pruning;
using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Tests.Pruning;

/// <summary>Every architecture at light and heavy ratios, uniform and global, with and without rounding: the
/// pruned model must run and keep its output shape, and heavier pruning must leave fewer MACs.</summary>
public class RatioSweepTests
{
    private static OnnxModel Build(string arch) => arch switch
    {
        "resnet" => PruningTestModels.ResNet(),
        "mobilenet" => PruningTestModels.MobileNet(),
        "concat" => PruningTestModels.ConcatNet(),
        "mobilenet-constants" => PruningTestModels.MobileNet(constantNodes: true),
        _ => PruningTestModels.FlattenNet(),
    };

    [Theory]
    [InlineData("resnet", false, 1)]
    [InlineData("resnet", true, 4)]
    [InlineData("mobilenet", false, 8)]
    [InlineData("mobilenet", true, 1)]
    [InlineData("mobilenet-constants", true, 4)]
    [InlineData("concat", false, 1)]
    [InlineData("concat", true, 2)]
    [InlineData("flatten", true, 1)]
    public void Light_and_heavy_pruning_runs_keeps_the_output_shape_and_heavier_means_fewer_macs(string arch, bool global, int roundTo)
    {
        var model = Build(arch);
        var reference = ChannelPruningTests.RunOnce(model).Dims;
        var macs = new List<double>();
        foreach (var ratio in new[] { 0.1, 0.4, 0.7 })
        {
            var result = ChannelPruningTests.Prune(model, ratio, global: global, roundTo: roundTo);
            Assert.Equal(reference, ChannelPruningTests.RunOnce(result.Model).Dims);
            macs.Add(result.Record.Totals["macs_after"]);
        }
        Assert.True(macs[0] >= macs[1] && macs[1] > macs[2], string.Join(", ", macs));
    }
}
