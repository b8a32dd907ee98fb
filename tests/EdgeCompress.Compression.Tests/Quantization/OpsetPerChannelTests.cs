using EdgeCompress.Compression.GraphPrep;
using EdgeCompress.Compression.Quantization;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Tests.Quantization;

public sealed class OpsetPerChannelTests
{
    public static TheoryData<int> Opsets() => new(Enumerable.Range(10, 12));

    private static readonly QuantizationOptions PerChannel = new() { PerChannel = true, ReduceRange = HostInt8.NeedsReduceRange };

    private static List<Onnx.Protos.NodeProto> QdqNodes(OnnxModel q) =>
        q.Graph.Nodes.Where(n => n.OpType is "QuantizeLinear" or "DequantizeLinear").ToList();

    [Theory]
    [MemberData(nameof(Opsets))]
    public void Residual_conv_block_at_any_opset_from_10_to_21_quantizes_per_channel_in_standard_onnx_and_runs_in_onnx_runtime_within_cosine_0_98(int opset)
    {
        var model = ResidualTestModels.Block(opset);
        var outcome = QuantizationPipeline.Run(model, PerChannel, DataSpec.Parse("synthetic:16"));
        var q = outcome.Quantized;

        var f = StaticQuantizerTests.Compare(model, q, "synthetic:16");
        Assert.True(f.Cosine >= 0.98, $"opset {opset}: cosine {f.Cosine}");
        // Standard ONNX only: a runtime without ONNX Runtime's contrib operators loads it too.
        Assert.All(QdqNodes(q), n => Assert.Equal("", n.Domain));
        Assert.DoesNotContain(q.Proto.OpsetImport, o => o.Domain == "com.microsoft");
        Assert.Equal(Math.Max(opset, 13), q.OpsetVersion());
        var conv = q.Graph.Nodes.Single(n => n.Name == "branch_b");
        Assert.Equal(0, q.Graph.Producer(conv.Input[1])!.GetInt("axis", -1));
        Assert.Equal(opset < 13 ? $"opset {opset} -> 13 so per-channel weights are allowed" : null, outcome.Records[0].Settings.GetValueOrDefault("opset"));
    }

    [Fact]
    public void Opset_11_model_with_an_operator_removed_at_13_keeps_its_opset_and_gets_per_tensor_weights_with_the_reason()
    {
        var model = ResidualTestModels.Block(11, resizeMode: "tf_half_pixel_for_nn");
        var outcome = QuantizationPipeline.Run(model, PerChannel, DataSpec.Parse("synthetic:16"));
        var q = outcome.Quantized;

        Assert.Equal("per-tensor weights: opset 11 model has Resize node 'upsample' (coordinate_transformation_mode tf_half_pixel_for_nn "
            + "was removed at opset 13), which cannot be lifted to opset 13, where per-channel weights start", outcome.Records[0].Settings["opset"]);
        Assert.Equal(11, q.OpsetVersion());
        Assert.All(QdqNodes(q), n => Assert.Null(n.Find("axis")));
        Assert.All(QdqNodes(q), n => Assert.Equal("", n.Domain));
        Assert.Equal(0, outcome.Records[1].Totals["per_channel"]);
        var f = StaticQuantizerTests.Compare(model, q, "synthetic:16");
        Assert.True(f.Cosine >= 0.98, $"cosine {f.Cosine}");
    }

    [Fact]
    public void Lifting_split_squeeze_unsqueeze_reducesum_and_a_4d_softmax_from_opset_11_to_13_keeps_the_output()
    {
        var model = OpsetLiftTestModels.Opset11Attributes();
        var lifted = new OpsetUpgrade().Apply(model);

        Assert.Equal(13, lifted.Model.OpsetVersion());
        Assert.All(lifted.Model.Graph.Nodes, n => Assert.Null(n.Find(n.OpType == "Split" ? "split" : "axes")));
        var f = StaticQuantizerTests.Compare(model, lifted.Model, "synthetic:8");
        Assert.True(f.MaxAbsError < 1e-6, $"max abs error {f.MaxAbsError}");
        Assert.Equal("opset 11 -> 13 so per-channel weights are allowed", lifted.Record.Settings["opset"]);
    }
}
