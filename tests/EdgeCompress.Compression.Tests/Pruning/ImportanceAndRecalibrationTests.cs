using EdgeCompress.Compression.Pruning;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Tests.Pruning;

public class ImportanceAndRecalibrationTests
{
    [Fact]
    public void Bn_scale_importance_keeps_the_channels_with_the_largest_gammas()
    {
        var model = TestModels.SmallCnn();
        var gammas = TensorData.ToFloats(model.Graph.Initializers["c2_bn_scale"]);
        var result = ChannelPruningTests.Prune(model, 0.5, ChannelImportanceKind.BnScale);
        var kept = TensorData.ToFloats(result.Model.Graph.Initializers["c2_bn_scale"]);
        Assert.Equal(gammas.OrderByDescending(Math.Abs).Take(16).Order(), kept.Order());
    }

    [Fact]
    public void L2_importance_keeps_the_output_channels_with_the_largest_weight_norms()
    {
        var model = TestModels.SmallCnn();
        var w = TensorData.ToFloats(model.Graph.Initializers["c1_w"]);
        var norms = Enumerable.Range(0, 16).Select(c => w.Skip(c * 9).Take(9).Sum(v => v * v)).ToArray();
        var expected = Enumerable.Range(0, 16).OrderByDescending(c => norms[c]).Take(8).Order().Select(c => norms[c]);
        var result = ChannelPruningTests.Prune(model, 0.5, ChannelImportanceKind.L2);
        var pw = TensorData.ToFloats(result.Model.Graph.Initializers["c1_w"]);
        var actual = Enumerable.Range(0, 8).Select(c => pw.Skip(c * 9).Take(9).Sum(v => v * v));
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Bn_scale_on_layers_without_batch_norm_falls_back_to_l1_with_a_warning()
    {
        var result = ChannelPruningTests.Prune(PruningTestModels.FlattenNet(withBn: false), 0.3, ChannelImportanceKind.BnScale);
        Assert.Contains("no BatchNormalization follows c2; ranked its channels by L1 weight norm instead", result.Record.Warnings);
    }

    [Fact]
    public void Taylor_importance_finds_dead_channels_so_removing_them_keeps_outputs_identical()
    {
        var model = PruningTestModels.FlattenNet(withBn: false, zero: 0.25);
        var result = ChannelPruningTests.Prune(model, 0.25, ChannelImportanceKind.Taylor, calibration: "synthetic:16");
        ChannelPruningTests.AssertSameOutputs(model, result.Model);
    }

    [Fact]
    public void Taylor_importance_works_through_residual_groups_and_keeps_the_output_shape()
    {
        var model = PruningTestModels.ResNet();
        var result = ChannelPruningTests.Prune(model, 0.3, ChannelImportanceKind.Taylor, calibration: "synthetic:8");
        Assert.Equal(ChannelPruningTests.RunOnce(model).Dims, ChannelPruningTests.RunOnce(result.Model).Dims);
    }

    [Fact]
    public void Recalibrated_batch_norm_statistics_match_the_pruned_layers_real_output_statistics()
    {
        var model = TestModels.SmallCnn();
        var pass = new ChannelPruningPass(new ChannelPruningOptions { Ratio = 0.5, RecalibrateBatchNorm = DataSpec.Parse("synthetic:64"), RecalibrationRows = 64 });
        var result = pass.Apply(model);
        Assert.Equal("2", result.Record.Settings["bn_recalibrated"]);
        var mean = TensorData.ToFloats(result.Model.Graph.Initializers["c2_bn_mean"]);
        var variance = TensorData.ToFloats(result.Model.Graph.Initializers["c2_bn_var"]);
        using var runner = ModelRunner.Create(result.Model, "pruned", new RunnerOptions { ExtraOutputs = ["c2_out"] });
        var x = runner.Run(DataSpec.Parse("synthetic:64").Open(runner.Inputs, 64).First()).Single(o => o.Name == "c2_out");
        var channels = (int)x.Dims[1];
        var inner = (int)(x.Dims[2] * x.Dims[3]);
        for (var c = 0; c < channels; c++)
        {
            var values = Enumerable.Range(0, (int)x.Dims[0]).SelectMany(n => x.Values.Skip(((n * channels) + c) * inner).Take(inner)).ToArray();
            var m = values.Average();
            Assert.Equal(m, mean[c], 3);
            Assert.Equal(values.Average(v => (v - m) * (v - m)), variance[c], 3);
        }
    }
}
