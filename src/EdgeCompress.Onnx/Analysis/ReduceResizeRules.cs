using DT = EdgeCompress.Onnx.Protos.TensorProto.Types.DataType;

namespace EdgeCompress.Onnx;

/// <summary>Shape rules for reductions (axes attribute or input, keepdims, noop_with_empty_axes), ArgMax/ArgMin,
/// TopK, and Resize/Upsample (scales or sizes, optional axes, keep_aspect_ratio_policy).</summary>
internal static class ReduceResizeRules
{
    private static readonly string[] Reductions = ["ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd",
        "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"];

    public static void Register(Dictionary<string, Action<NodeContext>> rules)
    {
        foreach (var op in Reductions)
        {
            rules[op] = c => Reduce(c, c.Type(0), c.Axes(1), c.HasInput(1));
        }
        rules["ArgMax"] = c => Reduce(c, DT.Int64, [c.Int("axis", 0)], false);
        rules["ArgMin"] = c => Reduce(c, DT.Int64, [c.Int("axis", 0)], false);
        rules["TopK"] = TopK;
        rules["Resize"] = Resize;
        rules["Upsample"] = Resize;
    }

    private static void Reduce(NodeContext c, DT type, long[]? axes, bool axesIsInput)
    {
        var x = c.Dims(0);
        var keep = c.Int("keepdims", 1) != 0;
        if (x is null || (axes is null && axesIsInput))
        {
            c.Out(0, type, x is not null && keep ? x.Select(_ => Dim.Unknown).ToArray() : null);
            return;
        }
        if (axes is null || axes.Length == 0)
        {
            if (c.Int("noop_with_empty_axes", 0) != 0)
            {
                c.Out(0, type, x);
                return;
            }
            axes = Enumerable.Range(0, x.Count).Select(i => (long)i).ToArray();
        }
        var reduced = axes.Select(a => NodeContext.Axis(a, x.Count)).ToHashSet();
        c.Out(0, type, keep
            ? x.Select((d, i) => reduced.Contains(i) ? Dim.Of(1) : d).ToArray()
            : x.Where((_, i) => !reduced.Contains(i)).ToArray());
    }

    private static void TopK(NodeContext c)
    {
        var x = c.Dims(0);
        if (x is null)
        {
            c.Out(0, c.Type(0), null);
            c.Out(1, DT.Int64, null);
            return;
        }
        var axis = NodeContext.Axis(c.Int("axis", -1), x.Count);
        var dims = x.ToArray();
        dims[axis] = c.Node.Find("k") is { } k ? Dim.Of(k.I) : c.Values(1) is [var kv] ? kv : Dim.Unknown;
        c.Out(0, c.Type(0), dims);
        c.Out(1, DT.Int64, dims);
    }

    private static void Resize(NodeContext c)
    {
        var x = c.Dims(0);
        if (x is null)
        {
            c.Out(0, c.Type(0), null);
            return;
        }
        // Resize-10 and Upsample take scales as input 1; Resize-11+ as input 2 and sizes as input 3.
        var scalesIndex = c.Node.OpType == "Upsample" || c.Opset < 11 ? 1 : 2;
        var scales = c.Node.GetFloats("scales") ?? (c.Constant(scalesIndex) is { } st && st.Dims is [> 0] ? TensorData.ToFloats(st) : null);
        var sizes = c.HasInput(3) ? c.Values(3) : null;
        var axes = c.Ints("axes")?.Select(a => NodeContext.Axis(a, x.Count)).ToArray() ?? Enumerable.Range(0, x.Count).ToArray();
        var dims = x.ToArray();
        if (scales is not null)
        {
            for (var k = 0; k < axes.Length; k++)
            {
                var d = x[axes[k]];
                dims[axes[k]] = d.IsKnown ? Dim.Of((long)Math.Floor(d.Value * (double)scales[k])) : scales[k] == 1f ? d : Dim.Unknown;
            }
        }
        else if (sizes is not null)
        {
            var policy = c.Node.GetString("keep_aspect_ratio_policy", "stretch");
            if (policy != "stretch" && axes.All(a => x[a].IsKnown) && sizes.All(s => s.IsKnown))
            {
                var ratios = axes.Select((a, k) => sizes[k].Value / (double)x[a].Value);
                var scale = policy == "not_larger" ? ratios.Min() : ratios.Max();
                sizes = axes.Select(a => Dim.Of((long)Math.Round(x[a].Value * scale, MidpointRounding.AwayFromZero))).ToArray();
            }
            for (var k = 0; k < axes.Length; k++)
            {
                dims[axes[k]] = sizes[k];
            }
        }
        else
        {
            dims = x.Select(_ => Dim.Unknown).ToArray();
        }
        c.Out(0, c.Type(0), dims);
    }
}
