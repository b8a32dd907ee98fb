using DT = EdgeCompress.Onnx.Protos.TensorProto.Types.DataType;

namespace EdgeCompress.Onnx;

/// <summary>
/// Shape rules for the com.microsoft operators met in the wild: ONNX Runtime's quantization tool writes them
/// (QuantizeLinear/DequantizeLinear before opset 13 had per-axis, QLinearAdd/Mul/Concat/GlobalAveragePool/Sigmoid,
/// QGemm, MatMulIntegerToFloat, DynamicQuantizeMatMul) and its saved optimized graphs hold fused ones (FusedConv,
/// FusedGemm, FusedMatMul, Gelu, SkipLayerNormalization). Without them inference stopped at the first such node and
/// an int8 face detector counted 180k MACs instead of 30.9 M.
/// </summary>
internal static class MicrosoftRules
{
    public static Dictionary<string, Action<NodeContext>> Build(IReadOnlyDictionary<string, Action<NodeContext>> standard)
    {
        var rules = new Dictionary<string, Action<NodeContext>>(StringComparer.Ordinal)
        {
            ["QuantizeLinear"] = standard["QuantizeLinear"],
            ["DequantizeLinear"] = standard["DequantizeLinear"],
            ["DynamicQuantizeLinear"] = standard["DynamicQuantizeLinear"],
            ["FusedConv"] = standard["Conv"],
            ["QLinearAdd"] = QLinearBinary,
            ["QLinearMul"] = QLinearBinary,
            ["QLinearConcat"] = QLinearConcat,
            ["QLinearGlobalAveragePool"] = c =>
            {
                var x = c.Dims(0);
                var last = c.Int("channels_last", 0) != 0;
                c.Out(0, c.Type(0), x?.Select((d, i) => (last ? i == 0 || i == x.Count - 1 : i < 2) ? d : Dim.Of(1)).ToArray());
            },
            ["QLinearAveragePool"] = standard["AveragePool"],
            ["QGemm"] = c =>
            {
                var n = Rows(c.Dims(0), c.Int("transA", 0) != 0);
                var m = Cols(c.Dims(3), c.Int("transB", 0) != 0);
                // Float output unless a y zero point gives the quantized type.
                c.Out(0, c.HasInput(8) ? c.Type(8) : DT.Float, [n, m]);
            },
            ["FusedGemm"] = standard["Gemm"],
            ["MatMulIntegerToFloat"] = c => c.Out(0, DT.Float, MatrixRules.MatMul(c.Dims(0), c.Dims(1))),
            ["DynamicQuantizeMatMul"] = c => c.Out(0, DT.Float, MatrixRules.MatMul(c.Dims(0), c.Dims(1))),
            ["FusedMatMul"] = c => c.Out(0, c.Type(0), MatrixRules.MatMul(
                Transposed(c.Dims(0), c.Int("transA", 0) != 0), Transposed(c.Dims(1), c.Int("transB", 0) != 0))),
        };
        foreach (var sameShape in new[]
        {
            "QLinearSigmoid", "QLinearLeakyRelu", "QLinearSoftmax", "Gelu", "FastGelu", "BiasGelu", "QuickGelu",
            "SkipLayerNormalization", "SimplifiedLayerNormalization", "SkipSimplifiedLayerNormalization", "LayerNormalization",
        })
        {
            rules[sameShape] = c => c.Out(0, c.In(0));
        }
        return rules;
    }

    private static void QLinearBinary(NodeContext c) =>
        // A, A scale, A zero point, B, B scale, B zero point, C scale, C zero point.
        c.Out(0, c.Type(0), Broadcast.Shapes(c.Dims(0), c.Dims(3)));

    private static void QLinearConcat(NodeContext c)
    {
        // Y scale, Y zero point, then (X, X scale, X zero point) per input.
        var xs = Enumerable.Range(0, (c.InputCount - 2) / 3).Select(k => 2 + (3 * k)).Where(c.HasInput).ToArray();
        var first = xs.Select(c.Dims).FirstOrDefault(d => d is not null);
        if (first is null)
        {
            c.Out(0, c.Type(1), null);
            return;
        }
        var axis = NodeContext.Axis(c.Int("axis", 0), first.Count);
        var dims = first.ToArray();
        dims[axis] = Dim.Of(0);
        foreach (var i in xs)
        {
            dims[axis] = c.Dims(i) is { } d ? dims[axis] + d[axis] : Dim.Unknown;
        }
        c.Out(0, c.Type(1), dims);
    }

    private static Dim Rows(IReadOnlyList<Dim>? a, bool trans) => a is { Count: 2 } ? a[trans ? 1 : 0] : Dim.Unknown;

    private static Dim Cols(IReadOnlyList<Dim>? b, bool trans) => b is { Count: 2 } ? b[trans ? 0 : 1] : Dim.Unknown;

    private static Dim[]? Transposed(IReadOnlyList<Dim>? d, bool trans)
    {
        if (d is null || !trans || d.Count < 2)
        {
            return d?.ToArray();
        }
        var t = d.ToArray();
        (t[^1], t[^2]) = (t[^2], t[^1]);
        return t;
    }
}
