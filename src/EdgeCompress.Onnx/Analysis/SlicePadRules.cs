namespace EdgeCompress.Onnx;

/// <summary>Shape rules for Slice (attributes before opset 10, inputs after; negative steps; clamping) and Pad
/// (pads attribute before opset 11, input after; optional axes from opset 18). Slice folds 1-D integer values.</summary>
internal static class SlicePadRules
{
    public static void Register(Dictionary<string, Action<NodeContext>> rules)
    {
        rules["Slice"] = Slice;
        rules["Pad"] = Pad;
    }

    private static void Slice(NodeContext c)
    {
        var x = c.Dims(0);
        var old = c.Node.Find("starts") is not null;
        var starts = old ? c.Ints("starts") : c.KnownValues(1);
        var ends = old ? c.Ints("ends") : c.KnownValues(2);
        var axes = old ? c.Ints("axes") : c.HasInput(3) ? c.KnownValues(3) : null;
        var steps = old ? null : c.HasInput(4) ? c.KnownValues(4) : null;
        if (x is null)
        {
            c.Out(0, c.Type(0), null);
            return;
        }
        if (starts is null || ends is null || (!old && c.HasInput(3) && axes is null) || (c.HasInput(4) && steps is null))
        {
            // Unknown bounds: the rank survives, the sliced sizes do not.
            var sliced = axes?.Select(a => NodeContext.Axis(a, x.Count)).ToHashSet();
            c.Out(0, c.Type(0), x.Select((d, i) => sliced is null || sliced.Contains(i) ? Dim.Unknown : d).ToArray());
            return;
        }
        axes ??= Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        var dims = x.ToArray();
        var ranges = new (long Start, long Step, long Count)?[x.Count];
        for (var k = 0; k < axes.Length; k++)
        {
            var axis = NodeContext.Axis(axes[k], x.Count);
            var step = steps?[k] ?? 1;
            if (step == 0)
            {
                throw new InvalidOperationException("Slice step is 0");
            }
            if (!dims[axis].IsKnown)
            {
                dims[axis] = Dim.Unknown;
                continue;
            }
            var r = Range(dims[axis].Value, starts[k], ends[k], step);
            dims[axis] = r.Count;
            ranges[axis] = r;
        }
        c.Out(0, c.Type(0), dims);
        if (x.Count == 1 && c.Values(0) is { } v && v.Length == x[0].Value && ranges[0] is { } s)
        {
            c.OutValues(0, Enumerable.Range(0, (int)s.Count).Select(i => v[s.Start + (i * s.Step)]).ToArray());
        }
    }

    /// <summary>Start, step and element count of one sliced axis, clamped as the ONNX specification says.</summary>
    private static (long Start, long Step, long Count) Range(long dim, long start, long end, long step)
    {
        start = start < 0 ? SafeMath.Add(start, dim) : start;
        end = end < 0 ? SafeMath.Add(end, dim) : end;
        long count;
        if (step > 0)
        {
            start = Math.Clamp(start, 0, dim);
            end = Math.Clamp(end, 0, dim);
            count = end <= start ? 0 : ((end - start - 1) / step) + 1;
        }
        else
        {
            start = Math.Clamp(start, 0, dim - 1);
            end = Math.Clamp(end, -1, dim - 1);
            count = start <= end ? 0 : ((start - end - 1) / -step) + 1;
        }
        return (start, step, count);
    }

    private static void Pad(NodeContext c)
    {
        var x = c.Dims(0);
        var pads = c.Ints("pads") ?? c.Ints("paddings") ?? c.KnownValues(1);
        if (x is null || pads is null)
        {
            c.Out(0, c.Type(0), x?.Select(_ => Dim.Unknown).ToArray());
            return;
        }
        var axes = c.HasInput(3) ? c.KnownValues(3) : null;
        var axisList = axes?.Select(a => NodeContext.Axis(a, x.Count)).ToArray() ?? Enumerable.Range(0, x.Count).ToArray();
        var dims = x.ToArray();
        var n = axisList.Length;
        for (var k = 0; k < n; k++)
        {
            var a = axisList[k];
            dims[a] = dims[a] + Dim.Of(pads[k] + pads[k + n]);
        }
        c.Out(0, c.Type(0), dims);
    }
}
