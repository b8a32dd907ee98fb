using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Quantization;

/// <summary>Recognises models that are already quantized, which a second quantization would only damage.</summary>
public static class QuantizedModelCheck
{
    private static readonly HashSet<string> QuantizedOps = new(StringComparer.Ordinal)
    {
        "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv", "QLinearMatMul", "MatMulInteger",
        "ConvInteger", "QGemm", "QLinearAdd", "QLinearMul", "MatMulIntegerToFloat", "DynamicQuantizeMatMul", "DynamicQuantizeLSTM",
    };

    /// <summary>The first node that shows the model is quantized, or null.</summary>
    public static string? FindQuantizedNode(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var node = model.Graph.Nodes.FirstOrDefault(n => QuantizedOps.Contains(n.OpType));
        return node is null ? null : $"{node.OpType} node '{OnnxGraph.NodeLabel(node)}'";
    }

    /// <summary>Throws <see cref="OnnxFormatException"/> when the model already holds quantization nodes.</summary>
    public static void ThrowIfQuantized(OnnxModel model)
    {
        if (FindQuantizedNode(model) is { } where)
        {
            var file = model.SourcePath is null ? "model" : Path.GetFileName(model.SourcePath);
            throw new OnnxFormatException($"{file}: already quantized (has a {where}); quantize the float model instead");
        }
    }
}
