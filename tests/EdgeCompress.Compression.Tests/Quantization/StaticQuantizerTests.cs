using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Quantization;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Compression.Tests;
using EdgeCompress.Calibration;

namespace EdgeCompress.Compression.Tests.Quantization;

public class StaticQuantizerTests
{
    internal static Fidelity Compare(OnnxModel reference, OnnxModel candidate, string data, int batch = 8)
    {
        using var a = ModelRunner.Create(reference, "float");
        using var b = ModelRunner.Create(candidate, "int8");
        var f = new Fidelity();
        foreach (var s in DataSpec.Parse(data).Open(a.Inputs, batch))
        {
            var ra = a.Run(s);
            var rb = b.Run(s);
            for (var i = 0; i < ra.Count; i++)
            {
                f.Add(ra[i].Values, rb[i].Values);
            }
        }
        return f;
    }

    [Fact]
    public void Small_cnn_quantized_static_runs_in_onnx_runtime_and_its_logits_keep_cosine_above_0_99()
    {
        var model = TestModels.SmallCnn();
        var outcome = QuantizationPipeline.Run(model, new QuantizationOptions(), DataSpec.Parse("synthetic:64"));
        var f = Compare(model, outcome.Quantized, "synthetic:32");
        Assert.True(f.Cosine > 0.99, $"cosine {f.Cosine}");
        var ops = outcome.Quantized.Graph.Nodes.Select(n => n.OpType).ToList();
        Assert.DoesNotContain("BatchNormalization", ops);
        Assert.DoesNotContain("Relu", ops);
        Assert.Contains("QuantizeLinear", ops);
    }
}

public class StaticQuantizerSizeAndOptionsTests
{
    [Fact]
    public void Quantized_conv_stack_is_at_most_0_27x_the_float_size()
    {
        var model = QuantTestModels.ConvStack();
        var q = QuantizationPipeline.Run(model, new QuantizationOptions(), DataSpec.Parse("synthetic:8")).Quantized;
        var ratio = (double)q.ToBytes().Length / model.ToBytes().Length;
        Assert.True(ratio <= 0.27, $"ratio {ratio:F3}");
    }

    [Theory]
    [InlineData(CalibrationMethod.MinMax, ActivationType.S8)]
    [InlineData(CalibrationMethod.Percentile, ActivationType.U8)]
    [InlineData(CalibrationMethod.Entropy, ActivationType.S8)]
    public void Every_calibration_method_and_activation_type_gives_a_model_within_cosine_0_99(CalibrationMethod method, ActivationType type)
    {
        var model = TestModels.SmallCnn();
        var options = new QuantizationOptions { Method = method, Activations = type, ReduceRange = HostInt8.NeedsReduceRange };
        var q = QuantizationPipeline.Run(model, options, DataSpec.Parse("synthetic:64")).Quantized;
        var f = StaticQuantizerTests.Compare(model, q, "synthetic:32");
        Assert.True(f.Cosine > 0.99, $"{method}/{type}: cosine {f.Cosine}");
        var zp = q.Graph.Nodes.First(n => n.OpType == "QuantizeLinear").Input[2];
        Assert.Equal(type == ActivationType.S8 ? 3 : 2, q.Graph.Initializers[zp].DataType);
    }

    [Fact]
    public void Excluded_layer_stays_float_and_the_record_says_so()
    {
        var options = new QuantizationOptions { Exclude = new HashSet<string> { "c2" } };
        var outcome = QuantizationPipeline.Run(TestModels.SmallCnn(), options, DataSpec.Parse("synthetic:8"));
        var c2 = outcome.Quantized.Graph.Nodes.Single(n => n.Name == "c2");
        Assert.NotEqual("DequantizeLinear", outcome.Quantized.Graph.Producer(c2.Input[1])?.OpType);
        Assert.Contains(outcome.Records[^1].Layers, l => l.Node == "c2" && l.Action == "kept float: excluded");
    }

    [Fact]
    public void Quantizing_an_already_quantized_model_is_refused()
    {
        var q = QuantizationPipeline.Run(TestModels.SmallCnn(), new QuantizationOptions(), DataSpec.Parse("synthetic:8")).Quantized;
        var e = Assert.Throws<OnnxFormatException>(() => QuantizationPipeline.Run(q, new QuantizationOptions(), DataSpec.Parse("synthetic:8")));
        Assert.Contains("already quantized", e.Message, StringComparison.Ordinal);
    }
}
