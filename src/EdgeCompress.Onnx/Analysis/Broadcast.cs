namespace EdgeCompress.Onnx;

/// <summary>Numpy-style multidirectional broadcasting of inferred shapes (ONNX Add/Mul/Where/Expand/MatMul batch dims).</summary>
internal static class Broadcast
{
    /// <summary>The broadcast shape, or null when any rank is unknown.</summary>
    public static Dim[]? Shapes(params IReadOnlyList<Dim>?[] shapes)
    {
        if (shapes.Any(s => s is null))
        {
            return null;
        }
        var rank = shapes.Max(s => s!.Count);
        var result = new Dim[rank];
        for (var i = 0; i < rank; i++)
        {
            Dim? acc = null;
            foreach (var s in shapes)
            {
                var k = i - (rank - s!.Count);
                if (k < 0)
                {
                    continue;
                }
                acc = acc is null ? s[k] : Pair(acc.Value, s[k]);
            }
            result[i] = acc ?? Dim.Of(1);
        }
        return result;
    }

    private static Dim Pair(Dim a, Dim b)
    {
        if (a.IsKnown && a.Value == 1)
        {
            return b;
        }
        if (b.IsKnown && b.Value == 1)
        {
            return a;
        }
        if (a.IsKnown && b.IsKnown)
        {
            return a.Value == b.Value ? a : throw new InvalidOperationException($"cannot broadcast {a.Value} with {b.Value}");
        }
        // An unknown dim broadcast with a known one >1 must equal it (or be 1, which would give the same result).
        if (a.IsKnown)
        {
            return a;
        }
        if (b.IsKnown)
        {
            return b;
        }
        return a.SameAs(b) ? a : Dim.Unknown;
    }

    /// <summary>Element-wise op over two folded value lists with broadcasting of a single value.</summary>
    public static Dim[]? Values(Dim[]? a, Dim[]? b, Func<long, long, long?> op)
    {
        if (a is null || b is null || (a.Length != b.Length && a.Length != 1 && b.Length != 1))
        {
            return null;
        }
        if (a.Length == 0 || b.Length == 0)
        {
            return [];
        }
        var n = Math.Max(a.Length, b.Length);
        var r = new Dim[n];
        for (var i = 0; i < n; i++)
        {
            var x = a[a.Length == 1 ? 0 : i];
            var y = b[b.Length == 1 ? 0 : i];
            r[i] = x.IsKnown && y.IsKnown && op(x.Value, y.Value) is { } v ? Dim.Of(v) : Dim.Unknown;
        }
        return r;
    }
}
