using EdgeCompress.Compression.Quantization;

namespace EdgeCompress.Compression.Tests.Quantization;

public class DynamicQuantizerTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Mlp_quantized_dynamic_has_int8_matmuls_and_keeps_cosine_above_0_999(bool perChannel)
    {
        var model = TestModels.Mlp();
        var options = new QuantizationOptions { Mode = QuantizationMode.Dynamic, PerChannel = perChannel, ReduceRange = HostInt8.NeedsReduceRange };
        var outcome = QuantizationPipeline.Run(model, options, null);
        var q = outcome.Quantized;
        Assert.Equal(3, q.Graph.Nodes.Count(n => n.OpType == "MatMulInteger"));
        Assert.DoesNotContain(q.Graph.Nodes, n => n.OpType == "Gemm");
        Assert.True(q.ToBytes().Length < model.ToBytes().Length * 0.27);
        var f = StaticQuantizerTests.Compare(model, q, "synthetic:32");
        Assert.True(f.Cosine > 0.999, $"cosine {f.Cosine}");
    }

    [Fact]
    public void Dynamic_mode_leaves_convolutions_float_and_says_why()
    {
        var outcome = QuantizationPipeline.Run(TestModels.SmallCnn(), new QuantizationOptions { Mode = QuantizationMode.Dynamic }, null);
        var conv = outcome.Records[^1].Layers.First(l => l.OpType == "Conv");
        Assert.StartsWith("kept float: dynamic mode covers MatMul/Gemm", conv.Action, StringComparison.Ordinal);
        Assert.Contains(outcome.Quantized.Graph.Nodes, n => n.OpType == "MatMulInteger");
    }
}
