using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Quantization;
using EdgeCompress.Compression.Runtime;
using EdgeCompress.Data;
using EdgeCompress.Onnx;

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
