using DT = EdgeCompress.Onnx.Protos.TensorProto.Types.DataType;

namespace EdgeCompress.Onnx;

/// <summary>Shape rules for Gemm (transA/transB), MatMul (numpy batching and 1-D promotion), their integer and
/// quantized forms, and the recurrent layers LSTM/GRU/RNN (directions, layout).</summary>
internal static class MatrixRules
{
    public static void Register(Dictionary<string, Action<NodeContext>> rules)
    {
        rules["Gemm"] = Gemm;
        rules["MatMul"] = c => c.Out(0, c.Type(0), MatMul(c.Dims(0), c.Dims(1)));
        rules["MatMulInteger"] = c => c.Out(0, DT.Int32, MatMul(c.Dims(0), c.Dims(1)));
        rules["QLinearMatMul"] = c => c.Out(0, c.Type(7), MatMul(c.Dims(0), c.Dims(3)));
        rules["LSTM"] = c => Recurrent(c, hasCell: true);
        rules["GRU"] = c => Recurrent(c, hasCell: false);
        rules["RNN"] = c => Recurrent(c, hasCell: false);
    }

    private static void Gemm(NodeContext c)
    {
        var a = c.Dims(0);
        var b = c.Dims(1);
        var m = a is { Count: 2 } ? a[c.Int("transA", 0) != 0 ? 1 : 0] : Dim.Unknown;
        var n = b is { Count: 2 } ? b[c.Int("transB", 0) != 0 ? 0 : 1] : Dim.Unknown;
        c.Out(0, c.Type(0), [m, n]);
    }

    /// <summary>The MatMul result shape (numpy.matmul rules), or null when a rank is unknown.</summary>
    public static Dim[]? MatMul(IReadOnlyList<Dim>? a, IReadOnlyList<Dim>? b)
    {
        if (a is null || b is null || a.Count == 0 || b.Count == 0)
        {
            return null;
        }
        var aa = a.Count == 1 ? new[] { Dim.Of(1), a[0] } : a.ToArray();
        var bb = b.Count == 1 ? new[] { b[0], Dim.Of(1) } : b.ToArray();
        var batch = Broadcast.Shapes(aa[..^2], bb[..^2])!;
        var result = new List<Dim>(batch);
        if (a.Count > 1)
        {
            result.Add(aa[^2]);
        }
        if (b.Count > 1)
        {
            result.Add(bb[^1]);
        }
        return [.. result];
    }

    private static void Recurrent(NodeContext c, bool hasCell)
    {
        var x = c.Dims(0);
        var type = c.Type(0);
        var hidden = c.Node.Find("hidden_size") is { } h ? Dim.Of(h.I)
            : c.Dims(2) is { Count: 3 } r ? r[2] : Dim.Unknown;
        var dirs = Dim.Of(c.Node.GetString("direction", "forward") == "bidirectional" ? 2 : 1);
        var layout = c.Int("layout", 0);
        Dim seq = Dim.Unknown, batch = Dim.Unknown;
        if (x is { Count: 3 })
        {
            (seq, batch) = layout == 0 ? (x[0], x[1]) : (x[1], x[0]);
        }
        c.Out(0, type, layout == 0 ? [seq, dirs, batch, hidden] : [batch, seq, dirs, hidden]);
        Dim[] state = layout == 0 ? [dirs, batch, hidden] : [batch, dirs, hidden];
        c.Out(1, type, state);
        if (hasCell)
        {
            c.Out(2, type, state);
        }
    }
}
