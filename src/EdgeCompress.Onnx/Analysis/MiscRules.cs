using DT = EdgeCompress.Onnx.Protos.TensorProto.Types.DataType;

namespace EdgeCompress.Onnx;

/// <summary>Shape rules for less common operators: scatters, losses, GatherND, OneHot, GridSample, RoiAlign,
/// MaxUnpool, Einsum (explicit equations without ellipsis) and the window functions.</summary>
internal static class MiscRules
{
    public static void Register(Dictionary<string, Action<NodeContext>> rules)
    {
        foreach (var op in new[] { "ScatterElements", "ScatterND", "Scatter" })
        {
            rules[op] = c => c.Out(0, c.In(0));
        }
        rules["NegativeLogLikelihoodLoss"] = c => Loss(c, c.Dims(1));
        rules["SoftmaxCrossEntropyLoss"] = c =>
        {
            Loss(c, c.Dims(1));
            c.Out(1, c.In(0));
        };
        rules["GatherND"] = GatherNd;
        rules["OneHot"] = c =>
        {
            var indices = c.Dims(0);
            var depth = c.Values(1) is [var d] ? d : Dim.Unknown;
            if (indices is null)
            {
                c.Out(0, c.Type(2), null);
                return;
            }
            var dims = indices.ToList();
            dims.Insert(NodeContext.Axis(c.Int("axis", -1), indices.Count + 1), depth);
            c.Out(0, c.Type(2), dims);
        };
        rules["GridSample"] = c =>
            c.Out(0, c.Type(0), c.Dims(0) is { Count: 4 } x && c.Dims(1) is { Count: 4 } g ? [x[0], x[1], g[1], g[2]] : null);
        rules["RoiAlign"] = c =>
            c.Out(0, c.Type(0), [c.Dims(1) is { Count: 2 } r ? r[0] : Dim.Unknown, c.Dims(0) is { Count: 4 } x ? x[1] : Dim.Unknown,
                c.Int("output_height", 1), c.Int("output_width", 1)]);
        rules["MaxUnpool"] = MaxUnpool;
        rules["Einsum"] = Einsum;
        foreach (var op in new[] { "HannWindow", "HammingWindow", "BlackmanWindow" })
        {
            rules[op] = c => c.Out(0, (DT)c.Int("output_datatype", (long)DT.Float), [c.Values(0) is [var n] ? n : Dim.Unknown]);
        }
        rules["Det"] = c => c.Out(0, c.Type(0), c.Dims(0) is { Count: >= 2 } x ? x.Take(x.Count - 2).ToArray() : null);
    }

    private static void Loss(NodeContext c, IReadOnlyList<Dim>? target) =>
        c.Out(0, c.Type(0), c.Node.GetString("reduction", "mean") == "none" ? target : []);

    private static void GatherNd(NodeContext c)
    {
        var data = c.Dims(0);
        var indices = c.Dims(1);
        var batch = (int)c.Int("batch_dims", 0);
        if (data is null || indices is null || indices.Count == 0 || !indices[^1].IsKnown)
        {
            c.Out(0, c.Type(0), null);
            return;
        }
        var last = (int)indices[^1].Value;
        c.Out(0, c.Type(0), indices.Take(indices.Count - 1).Concat(data.Skip(batch + last)).ToArray());
    }

    private static void MaxUnpool(NodeContext c)
    {
        var x = c.Dims(0);
        if (c.HasInput(2))
        {
            c.Out(0, c.Type(0), c.Values(2));
            return;
        }
        var kernel = c.Ints("kernel_shape");
        if (x is null || kernel is null)
        {
            c.Out(0, c.Type(0), null);
            return;
        }
        var n = x.Count - 2;
        var strides = c.Ints("strides") ?? Enumerable.Repeat(1L, n).ToArray();
        var pads = c.Ints("pads") ?? new long[2 * n];
        var dims = x.ToArray();
        for (var i = 0; i < n; i++)
        {
            dims[i + 2] = x[i + 2].IsKnown ? Dim.Of(((x[i + 2].Value - 1) * strides[i]) + kernel[i] - pads[i] - pads[i + n]) : Dim.Unknown;
        }
        c.Out(0, c.Type(0), dims);
    }

    /// <summary>Explicit equations like "bij,bjk->bik": each output letter takes the size it has in the inputs.</summary>
    private static void Einsum(NodeContext c)
    {
        var equation = c.Node.GetString("equation", "").Replace(" ", "", StringComparison.Ordinal);
        var arrow = equation.IndexOf("->", StringComparison.Ordinal);
        if (arrow < 0 || equation.Contains("...", StringComparison.Ordinal))
        {
            c.Out(0, c.Type(0), null);
            return;
        }
        var terms = equation[..arrow].Split(',');
        var sizes = new Dictionary<char, Dim>();
        for (var i = 0; i < terms.Length; i++)
        {
            var dims = c.Dims(i);
            if (dims is null || dims.Count != terms[i].Length)
            {
                continue;
            }
            for (var k = 0; k < dims.Count; k++)
            {
                if (!sizes.TryGetValue(terms[i][k], out var known) || (!known.IsKnown && dims[k].IsKnown) || (known.IsKnown && known.Value == 1))
                {
                    sizes[terms[i][k]] = dims[k];
                }
            }
        }
        c.Out(0, c.Type(0), equation[(arrow + 2)..].Select(ch => sizes.GetValueOrDefault(ch)).ToArray());
    }
}
