using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Pruning;

/// <summary>
/// Rules for attention blocks as exporters write them: a projection whose columns are heads (its output is sliced
/// into q, k and v and reshaped to [..., heads, head size]), batched MatMuls between values that carry the heads on a
/// batch axis, Slice along the channels, Gather of one token, and the constants expanded into a token sequence (a
/// class token). A head is removed whole: its columns in q, k and v, its bias entries, its rows in the output
/// projection, and the head count spelled in the Reshape targets.
/// </summary>
internal sealed partial class DependencyGraph
{
    /// <summary>
    /// The head structure of a projection's output, seen from its readers: (after an optional bias Add) either
    /// Slices along the last axis each reshaped to [..., heads, size], or one such Reshape. Null when the output is
    /// not split into heads.
    /// </summary>
    private (int Parts, int Heads, int Size)? HeadsOf(string output, int count)
    {
        var readers = Readers(output);
        if (readers is [{ OpType: "Add" } add] && add.Input.Any(i => Store.Find(i) is not null))
        {
            readers = Readers(add.Output[0]);
        }
        List<NodeProto> reshapes;
        if (readers.Count > 1 && readers.All(r => r.OpType == "Slice"))
        {
            reshapes = [];
            foreach (var slice in readers)
            {
                if (Readers(slice.Output[0]) is not [{ OpType: "Reshape" } r])
                {
                    return null;
                }
                reshapes.Add(r);
            }
        }
        else if (readers is [{ OpType: "Reshape" } only])
        {
            reshapes = [only];
        }
        else
        {
            return null;
        }
        (int Heads, int Size)? shape = null;
        foreach (var r in reshapes)
        {
            var inDims = DimsOf(r.Input[0]);
            var outDims = DimsOf(r.Output[0]);
            if (inDims.Length == 0 || outDims.Length < 2 || outDims[^1] <= 1 || inDims[^1] % outDims[^1] != 0)
            {
                return null;
            }
            var heads = (int)(inDims[^1] / outDims[^1]);
            if (heads < 2 || outDims[^2] % heads != 0 || (shape is { } s && s != (heads, (int)outDims[^1])))
            {
                return null;
            }
            shape = (heads, (int)outDims[^1]);
        }
        var (h, size) = shape!.Value;
        return reshapes.Count * h * size == count ? (reshapes.Count, h, size) : null;
    }

    /// <summary>The nodes reading a value, leaving out Shape (it reads only the sizes).</summary>
    private List<NodeProto> Readers(string value) => _graph.Consumers(value).Where(c => c.OpType != "Shape").ToList();

    /// <summary>Reshape [..., heads * size] -> [..., heads, size] when the channels are heads of that size; the
    /// leading axes may fold into the head axis (torch writes [T, B, D] -> [T, B * heads, size]).</summary>
    private static ChannelLayout? SplitHeads(ChannelLayout x, long[] inDims, long[] outDims)
    {
        if (x.Axis != inDims.Length - 1 || outDims.Length < 2 || x.Segments.Any(s => s.Repeat != outDims[^1] || s.Repeat < 2))
        {
            return null;
        }
        var heads = x.Length / outDims[^1];
        if (outDims[^2] % heads != 0)
        {
            return null;
        }
        var folded = outDims[^2] / heads;
        var lead = outDims[..^2];
        if (lead.Length > x.Axis)
        {
            return null;
        }
        // The output's leading axes are the input's, with the last of them (product: folded) moved into the heads.
        var keptLead = inDims[..lead.Length];
        if (!keptLead.SequenceEqual(lead) || inDims[lead.Length..x.Axis].Aggregate(1L, (p, d) => p * d) != folded)
        {
            return null;
        }
        var segments = new List<Segment>();
        for (var b = 0; b < folded; b++)
        {
            segments.AddRange(x.Segments.Select(s => s with { Repeat = 1 }));
        }
        return new ChannelLayout(outDims.Length - 2, segments);
    }

    /// <summary>Reshape that only adds or drops axes of size 1: the channels keep their order.</summary>
    private static int? SameAxisAfterUnitReshape(ChannelLayout x, long[] inDims, long[] outDims)
    {
        if (inDims[x.Axis] == 1 || !inDims.Where(d => d != 1).SequenceEqual(outDims.Where(d => d != 1)))
        {
            return null;
        }
        var nth = inDims.Take(x.Axis).Count(d => d != 1);
        for (var i = 0; i < outDims.Length; i++)
        {
            if (outDims[i] != 1 && nth-- == 0)
            {
                return i;
            }
        }
        return null;
    }

    /// <summary>MatMul of two computed values: channels on a batch axis (attention heads) pass through like an
    /// elementwise operator; channels in the multiplied axes cannot be followed.</summary>
    private bool VisitBatchedMatMul(NodeProto n)
    {
        var a = Layout(n.Input[0]);
        var b = Layout(n.Input[1]);
        var ra = DimsOf(n.Input[0]).Length;
        var rb = DimsOf(n.Input[1]).Length;
        if ((a ?? b) is null || ra < 3 || rb < 3 || (a is not null && a.Axis >= ra - 2) || (b is not null && b.Axis >= rb - 2))
        {
            return false;
        }
        VisitElementwise(n);
        return true;
    }

    private void VisitSlice(NodeProto n)
    {
        var x = Layout(n.Input[0]);
        if (x is null)
        {
            return;
        }
        var where = $"{Label(n)} (Slice)";
        var rank = DimsOf(n.Input[0]).Length;
        var length = x.Length;
        var v10 = _opset >= 10;
        var axes = v10 ? (Optional(n, 3) is { } ax ? ShapeArithmetic(ax, false) : null) : n.GetInts("axes");
        var starts = v10 ? ShapeArithmetic(n.Input[1], false) : n.GetInts("starts");
        var ends = v10 ? ShapeArithmetic(n.Input[2], false) : n.GetInts("ends");
        if (starts is null || ends is null)
        {
            Spaces.BlockAll(x, $"{where} has bounds we cannot work out");
            return;
        }
        axes ??= Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        var j = Array.FindIndex(axes, a => (a < 0 ? a + rank : a) == x.Axis);
        if (j < 0)
        {
            Set(n.Output[0], x); // slices other axes
            return;
        }
        var steps = v10 && Optional(n, 4) is { } st ? ShapeArithmetic(st, false) : null;
        if (steps is not null && steps[j] != 1)
        {
            Spaces.BlockAll(x, $"{where} takes one channel in {steps[j]}");
            return;
        }
        var (start, end) = (Clamp(starts[j], length), Clamp(ends[j], length));
        var range = start < end ? x.Range(start, end) : null;
        if (range is null)
        {
            Cut(x, start);
            Cut(x, end);
            Spaces.BlockAll(x, $"{where} cuts through a channel group");
            return;
        }
        var constant = !v10 || (Store.Find(n.Input[1]) is not null && Store.Find(n.Input[2]) is not null);
        if (constant)
        {
            Sites.Add(new SliceBoundsSite(n, x, j, start, end, v10));
        }
        else if (!Proportional(n, j, start, end, length) || x.Segments.Any(s => s.Count != x.Segments[0].Count || s.Repeat != x.Segments[0].Repeat))
        {
            Spaces.BlockAll(x, $"{where} has bounds computed at run time that would not follow fewer channels");
            return;
        }
        else
        {
            // Bounds computed as fractions of the size (q, k, v = thirds): they follow only if every part keeps as many.
            foreach (var s in x.Segments.Skip(1))
            {
                Spaces.Union(x.Segments[0].Space, s.Space, where);
            }
        }
        Set(n.Output[0], new ChannelLayout(x.Axis, range));
    }

    private static long Clamp(long bound, long length) => Math.Clamp(bound < 0 ? bound + length : bound, 0, length);

    /// <summary>True when the computed bounds scale with the sizes they are computed from (checked by working them
    /// out again with every channel axis doubled).</summary>
    private bool Proportional(NodeProto n, int j, long start, long end, long length)
    {
        var starts = ShapeArithmetic(n.Input[1], true);
        var ends = ShapeArithmetic(n.Input[2], true);
        return starts is not null && ends is not null
            && Clamp(starts[j], 2 * length) == 2 * start && Clamp(ends[j], 2 * length) == 2 * end;
    }

    /// <summary>
    /// The value of a small integer tensor computed from shapes (Shape, Gather, arithmetic, Concat, ...) on the
    /// observed sizes; with <paramref name="doubled"/>, as if every value carrying channels had twice as many.
    /// Null when it depends on anything else.
    /// </summary>
    private long[]? ShapeArithmetic(string value, bool doubled, int depth = 0)
    {
        if (Store.Find(value) is { } t)
        {
            return TensorData.ElementCount(t) <= 64 ? TensorData.ToInt64s(t) : null;
        }
        if (depth > 24 || _graph.Producer(value) is not { } p || ((p.Domain ?? "").Length > 0 && p.Domain != "ai.onnx"))
        {
            return null;
        }
        long[]? Arg(int i) => i < p.Input.Count ? ShapeArithmetic(p.Input[i], doubled, depth + 1) : null;
        switch (p.OpType)
        {
            case "Shape":
            {
                var dims = DimsOf(p.Input[0]).ToArray();
                if (dims.Length == 0)
                {
                    return null;
                }
                if (doubled && Layout(p.Input[0]) is { } l)
                {
                    dims[l.Axis] *= 2;
                }
                var from = (int)Clamp(p.GetInt("start", 0), dims.Length);
                var to = (int)Clamp(p.GetInt("end", dims.Length), dims.Length);
                return dims[from..Math.Max(from, to)];
            }
            case "Identity" or "Cast" or "Squeeze" or "Unsqueeze":
                return Arg(0);
            case "Gather" when p.GetInt("axis", 0) == 0 && Arg(0) is { } data && Arg(1) is { } idx:
                return idx.Any(i => i < -data.Length || i >= data.Length) ? null : idx.Select(i => data[i < 0 ? i + data.Length : i]).ToArray();
            case "Concat":
            {
                var parts = Enumerable.Range(0, p.Input.Count).Select(Arg).ToList();
                return parts.Any(x => x is null) ? null : parts.SelectMany(x => x!).ToArray();
            }
            case "ConstantOfShape" when Arg(0) is [var count] && count is >= 0 and <= 64:
            {
                var fill = p.Attribute.FirstOrDefault(a => a.Name == "value")?.T is { } v ? TensorData.ToInt64s(v)[0] : 0;
                return Enumerable.Repeat(fill, (int)count).ToArray();
            }
            case "Where" when Arg(0) is { } c && Arg(1) is { } a && Arg(2) is { } b:
                return Broadcast([c, a, b], v => v[0] != 0 ? v[1] : v[2]);
            case "Add" or "Sub" or "Mul" or "Div" or "Equal" when Arg(0) is { } a && Arg(1) is { } b:
                return p.OpType == "Div" && b.Contains(0) ? null : Broadcast([a, b], v => p.OpType switch
                {
                    "Add" => v[0] + v[1],
                    "Sub" => v[0] - v[1],
                    "Mul" => v[0] * v[1],
                    "Div" => v[0] / v[1],
                    _ => v[0] == v[1] ? 1 : 0,
                });
            default:
                return null;
        }
    }

    /// <summary>Elementwise over 1-D values of one length (or length 1); null when the lengths disagree.</summary>
    private static long[]? Broadcast(long[][] args, Func<long[], long> f)
    {
        var size = args.Max(a => a.Length);
        if (args.Any(a => a.Length != size && a.Length != 1))
        {
            return null;
        }
        return Enumerable.Range(0, size).Select(i => f(args.Select(a => a[a.Length == 1 ? 0 : i]).ToArray())).ToArray();
    }

    /// <summary>Gather along an axis other than the channels (one token, the class token): the channels move
    /// with the axes the indices replace. Gather from a constant [V, D] table (an embedding) makes D channels.</summary>
    private void VisitGather(NodeProto n)
    {
        var x = Layout(n.Input[0]);
        BlockInputs(n, from: 1);
        var rank = DimsOf(n.Input[0]).Length;
        var axis = (int)n.GetInt("axis", 0);
        axis = axis < 0 ? axis + rank : axis;
        var indexRank = Store.Find(n.Input[1]) is { } c ? c.Dims.Count : DimsOf(n.Input[1]).Length;
        if (x is null && axis == 0 && Store.Find(n.Input[0]) is { Dims.Count: 2 } table && DataSpec.IsFloat(TensorData.TypeOf(table)))
        {
            // An embedding table [V, D] read by token ids: its D columns are the channels of the residual stream
            // it starts, and they go like a layer's output channels.
            Set(n.Output[0], NewSource(n, (int)table.Dims[1], indexRank, n.Input[0], 1, null, 0));
            return;
        }
        if (x is null)
        {
            return;
        }
        if (axis == x.Axis)
        {
            Spaces.BlockAll(x, $"{Label(n)} (Gather) picks some of them by index");
            return;
        }
        Set(n.Output[0], x.WithAxis(x.Axis < axis ? x.Axis : x.Axis + indexRank - 1));
    }

    /// <summary>A constant broadcast by Expand (a class token repeated over the batch) can be sliced like any
    /// constant, when the Expand target does not spell the channel count.</summary>
    private (string Constant, int Axis)? ExpandedConstant(string value, int axisInValue)
    {
        if (_graph.Producer(value) is not { OpType: "Expand" } expand || !Store.IsPrivate(expand.Input[0]) || _graph.Consumers(value).Count != 1)
        {
            return null;
        }
        var data = Store.Find(expand.Input[0])!;
        var outRank = DimsOf(value).Length;
        var axis = axisInValue - (outRank - data.Dims.Count);
        var target = ShapeArithmetic(expand.Input[1], false);
        var targetAxis = target is null ? -1 : axisInValue - (outRank - target.Length);
        if (axis < 0 || target is null || (targetAxis >= 0 && target[targetAxis] != 1))
        {
            return null;
        }
        return (expand.Input[0], axis);
    }
}
