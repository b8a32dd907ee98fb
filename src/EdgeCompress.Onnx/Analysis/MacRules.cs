using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Onnx;

/// <summary>Per-operator multiply-accumulate formulas over inferred shapes (all arithmetic saturating).</summary>
internal static class MacRules
{
    private static readonly HashSet<string> Counted = new(StringComparer.Ordinal)
    {
        "Conv", "ConvInteger", "QLinearConv", "ConvTranspose", "Gemm", "MatMul", "MatMulInteger", "QLinearMatMul",
        "LSTM", "GRU", "RNN", "BatchNormalization", "MaxPool", "AveragePool", "LpPool",
        "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool",
    };

    /// <summary>com.microsoft operators that do a layer's multiply-accumulates (fused or quantized forms).</summary>
    private static readonly HashSet<string> CountedMicrosoft = new(StringComparer.Ordinal)
    {
        "FusedConv", "FusedGemm", "FusedMatMul", "QGemm", "MatMulIntegerToFloat", "DynamicQuantizeMatMul",
        "QLinearGlobalAveragePool", "QLinearAveragePool",
    };

    /// <summary>True when the node's operator (in its domain) does counted work.</summary>
    public static bool IsCounted(string domain, string opType) =>
        domain is "" or "ai.onnx" ? Counted.Contains(opType) : domain == "com.microsoft" && CountedMicrosoft.Contains(opType);

    /// <summary>MACs of a node, or null when a shape it needs is unknown.</summary>
    public static long? Macs(NodeProto node, TensorType?[] inputs, TensorType? output)
    {
        long? Elements(TensorType? t) => t?.ElementCount();
        long? Tail(TensorType? t, int from) => t?.KnownDims() is { } d && d.Length >= from ? SafeMath.Product(d.Skip(from)) : null;
        TensorType? In(int i) => i < inputs.Length ? inputs[i] : null;

        switch (node.OpType)
        {
            case "Conv":
            case "ConvInteger":
            case "FusedConv":
                return Mul(Elements(output), Tail(In(1), 1));
            case "QLinearConv":
                return Mul(Elements(output), Tail(In(3), 1));
            case "ConvTranspose":
                return Mul(Elements(In(0)), Tail(In(1), 1));
            case "Gemm":
            case "FusedGemm":
            case "QGemm":
                {
                    var a = In(0)?.KnownDims();
                    var k = a is { Length: 2 } ? a[node.GetInt("transA", 0) != 0 ? 0 : 1] : (long?)null;
                    return Mul(Elements(output), k);
                }
            case "MatMul":
            case "MatMulInteger":
            case "QLinearMatMul":
            case "MatMulIntegerToFloat":
            case "DynamicQuantizeMatMul":
                {
                    var a = In(0)?.KnownDims();
                    return Mul(Elements(output), a is { Length: > 0 } ? a[^1] : null);
                }
            case "FusedMatMul":
                {
                    var a = In(0)?.KnownDims();
                    var k = a is { Length: > 1 } ? a[node.GetInt("transA", 0) != 0 ? ^2 : ^1] : a is { Length: 1 } ? a[0] : (long?)null;
                    return Mul(Elements(output), k);
                }
            case "LSTM":
            case "GRU":
            case "RNN":
                return Recurrent(node, In(0), In(1));
            case "BatchNormalization":
            case "GlobalAveragePool":
            case "GlobalMaxPool":
            case "GlobalLpPool":
            case "QLinearGlobalAveragePool":
                return Elements(In(0));
            default:
                var kernel = node.GetInts("kernel_shape");
                return kernel is null ? null : Mul(Elements(output), SafeMath.Product(kernel));
        }
    }

    private static long? Recurrent(NodeProto node, TensorType? x, TensorType? w)
    {
        var xd = x?.KnownDims();
        var wd = w?.KnownDims();
        if (xd is not { Length: 3 } || wd is not { Length: 3 })
        {
            return null;
        }
        var gates = node.OpType switch { "LSTM" => 4, "GRU" => 3, _ => 1 };
        var hidden = node.Find("hidden_size")?.I ?? (wd[1] / gates);
        var input = xd[2];
        // W is [dirs, gates*hidden, input]; R adds gates*hidden*hidden per direction and step.
        var perStep = SafeMath.Multiply(SafeMath.Multiply(gates, hidden), SafeMath.Add(input, hidden));
        return Mul(Mul(SafeMath.Multiply(xd[0], xd[1]), wd[0]), perStep);
    }

    private static long? Mul(long? a, long? b) => a is null || b is null ? null : SafeMath.Multiply(a.Value, b.Value);
}
