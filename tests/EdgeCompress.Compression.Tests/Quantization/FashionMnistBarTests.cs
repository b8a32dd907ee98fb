using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Quantization;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using Xunit.Abstractions;

namespace EdgeCompress.Compression.Tests.Quantization;

public class FashionMnistBarTests(ITestOutputHelper log)
{
    [Fact]
    public void Fashion_mnist_cnn_quantized_static_loses_at_most_0_3_points_and_is_at_most_0_27x_the_size()
    {
        var model = FashionTestModels.RandomFeatureCnn(trainImages: 4000);
        var export = Environment.GetEnvironmentVariable("EDGEC_EXPORT_DIR");
        if (!string.IsNullOrEmpty(export))
        {
            model.Save(Path.Combine(export, "fmnist-rf-cnn.onnx"));
        }
        var options = new QuantizationOptions { ReduceRange = HostInt8.NeedsReduceRange };
        var q = QuantizationPipeline.Run(model, options, DataSpec.Parse("fashion-mnist:train@1000")).Quantized;
        var test = DataSpec.Parse("fashion-mnist:test@3000");
        double floatTop1, quantTop1;
        using (var a = ModelRunner.Create(model, "float"))
        {
            floatTop1 = ModelEvaluator.Top1(a, test, 250);
        }
        using (var b = ModelRunner.Create(q, "int8"))
        {
            quantTop1 = ModelEvaluator.Top1(b, test, 250);
        }
        var ratio = (double)q.ToBytes().Length / model.ToBytes().Length;
        log.WriteLine($"float {floatTop1:F2} %, int8 {quantTop1:F2} %, drop {floatTop1 - quantTop1:F2} pt, size ratio {ratio:F4}");
        Assert.True(floatTop1 > 75, $"the float model should be a real classifier, got {floatTop1:F2} %");
        Assert.True(floatTop1 - quantTop1 <= 0.3, $"drop {floatTop1 - quantTop1:F2} pt");
        Assert.True(ratio <= 0.27, $"ratio {ratio:F4}");
    }
}

public class LatencyBarModelTests
{
    [Fact]
    public void Conv_stack_for_the_latency_bar_has_four_3x3_convolutions_and_can_be_exported()
    {
        var model = QuantTestModels.ConvStack();
        var export = Environment.GetEnvironmentVariable("EDGEC_EXPORT_DIR");
        if (!string.IsNullOrEmpty(export))
        {
            model.Save(Path.Combine(export, "conv-stack.onnx"));
        }
        Assert.Equal(4, model.Graph.Nodes.Count(n => n.OpType == "Conv"));
    }
}
