using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Pruning;

/// <summary>Rules for operators that move, split or stretch the channel axis: Split, Flatten, Reshape,
/// Transpose, (Un)Squeeze, Pad, Resize and reductions.</summary>
internal sealed partial class DependencyGraph
{
    private long[]? IntsInputOrAttribute(NodeProto n, int index, string attribute)
    {
        var name = Optional(n, index);
        if (name is not null)
        {
            return Store.Find(name) is { } t ? TensorData.ToInt64s(t) : null;
        }
        return n.GetInts(attribute);
    }

    private void VisitSplit(NodeProto n)
    {
        var x = Layout(n.Input[0]);
        if (x is null)
        {
            return;
        }
        var dims = DimsOf(n.Input[0]);
        var axis = (int)n.GetInt("axis", 0);
        axis = axis < 0 ? axis + dims.Length : axis;
        if (x.Axis != axis)
        {
            foreach (var o in n.Output)
            {
                Set(o, x);
            }
            return;
        }
        var sizes = IntsInputOrAttribute(n, 1, "split");
        if (sizes is null && Optional(n, 1) is null)
        {
            sizes = n.Output.Select(o => DimsOf(o) is { Length: > 0 } d ? d[axis] : -1).ToArray();
        }
        if (sizes is null || sizes.Length != n.Output.Count || sizes.Any(s => s < 0))
        {
            Spaces.BlockAll(x, $"{Label(n)} (Split) has split sizes computed at run time");
            return;
        }
        var outputs = new List<ChannelLayout>();
        long start = 0;
        foreach (var size in sizes)
        {
            var range = x.Range(start, start + size);
            if (range is null)
            {
                Cut(x, start);
                Cut(x, start + size);
                Spaces.BlockAll(x, $"{Label(n)} (Split) cuts through a channel group");
                return;
            }
            outputs.Add(new ChannelLayout(axis, range));
            start += size;
        }
        for (var i = 0; i < outputs.Count; i++)
        {
            Set(n.Output[i], outputs[i]);
        }
        Sites.Add(new SplitSizesSite(n, x, outputs, _opset >= 13));
    }

    private void VisitFlatten(NodeProto n)
    {
        var x = Layout(n.Input[0]);
        if (x is null)
        {
            return;
        }
        var dims = DimsOf(n.Input[0]);
        var axis = (int)n.GetInt("axis", 1);
        axis = axis < 0 ? axis + dims.Length : axis;
        if (x.Axis != axis)
        {
            Spaces.BlockAll(x, $"{Label(n)} (Flatten) mixes them with other axes");
            return;
        }
        Set(n.Output[0], Stretch(x, dims));
    }

    /// <summary>Channel axis folded with the axes after it: each channel becomes a block of their product.</summary>
    private static ChannelLayout Stretch(ChannelLayout x, long[] dims)
    {
        var block = dims.Skip(x.Axis + 1).Aggregate(1L, (a, b) => a * b);
        return new ChannelLayout(x.Axis, x.Segments.Select(s => s with { Repeat = s.Repeat * block }).ToList());
    }

    private void VisitReshape(NodeProto n)
    {
        var x = Layout(n.Input[0]);
        if (x is null)
        {
            return;
        }
        var inDims = DimsOf(n.Input[0]);
        var outDims = DimsOf(n.Output[0]);
        var shapeTensor = Store.Find(n.Input[1]);
        var a = x.Axis;
        ChannelLayout? result = null;
        if (shapeTensor is null && ComputedShapeEntry(n.Input[1], a) == -1 && outDims.Length == a + 1 && inDims.Take(a).SequenceEqual(outDims.Take(a)))
        {
            // x.view(x.size(0), -1) exports a computed shape: the leading dims come from Shape, the channel axis is -1.
            Set(n.Output[0], Stretch(x, inDims));
            return;
        }
        if (shapeTensor is not null && outDims.Length > a && inDims.Take(a).SequenceEqual(outDims.Take(a)))
        {
            if (a == outDims.Length - 1 && outDims[a] == inDims.Skip(a).Aggregate(1L, (p, d) => p * d))
            {
                result = Stretch(x, inDims); // [N, C, H, W] -> [N, C*H*W]
            }
            else if (outDims[a] == inDims[a] && outDims.Skip(a + 1).Aggregate(1L, (p, d) => p * d) == inDims.Skip(a + 1).Aggregate(1L, (p, d) => p * d))
            {
                result = x; // the channel axis stays where it is ([N, C] -> [N, C, 1, 1], [N, C, H, W] -> [N, C, H*W])
            }
        }
        if (result is null && shapeTensor is not null)
        {
            // [..., heads * size] -> [..., heads, size], or only axes of size 1 added or dropped.
            result = SplitHeads(x, inDims, outDims) ?? (SameAxisAfterUnitReshape(x, inDims, outDims) is { } moved ? x.WithAxis(moved) : null);
        }
        if (result is null)
        {
            Spaces.BlockAll(x, $"{Label(n)} (Reshape) {ReshapeRefusal(n, x, inDims, outDims)}");
            return;
        }
        var shape = TensorData.ToInt64s(shapeTensor!);
        if (shape[result.Axis] > 0)
        {
            Sites.Add(new ReshapeTargetSite(n, result, result.Axis));
        }
        Set(n.Output[0], result);
    }

    /// <summary>Why a Reshape's channels cannot be followed; names the channel shuffle ShuffleNet writes
    /// ([N, C, ...] -> [N, groups, C / groups, ...], a Transpose swapping those two axes, and a Reshape back), which
    /// interleaves the groups.</summary>
    private string ReshapeRefusal(NodeProto n, ChannelLayout x, long[] inDims, long[] outDims)
    {
        var a = x.Axis;
        if (outDims.Length != inDims.Length + 1 || a + 1 >= outDims.Length || outDims[a] <= 1 || outDims[a] * outDims[a + 1] != inDims[a])
        {
            return "moves them in a way we cannot follow";
        }
        var groups = $"splits them into {outDims[a]} groups of {outDims[a + 1]}";
        var shuffled = Readers(n.Output[0]) is [{ OpType: "Transpose" } t] && t.GetInts("perm") is { } perm
            && perm.Length > a + 1 && perm[a] == a + 1 && perm[a + 1] == a && Readers(t.Output[0]) is [{ OpType: "Reshape" }];
        return shuffled
            ? $"{groups} for a channel shuffle, which interleaves the groups (pruning through it would tie every group's channels together at each shuffle; not supported)"
            : $"{groups}, which we cannot follow";
    }

    /// <summary>Entry <paramref name="index"/> of a shape built by Concat from pieces, when that piece is a
    /// constant; null when it is computed or the shape is not a Concat.</summary>
    private long? ComputedShapeEntry(string shape, int index)
    {
        if (_graph.Producer(shape) is not { OpType: "Concat" } concat)
        {
            return null;
        }
        var position = 0L;
        foreach (var piece in concat.Input)
        {
            var length = Store.Find(piece) is { } t ? TensorData.ElementCount(t) : DimsOf(piece) is [var d] ? d : -1;
            if (length < 0)
            {
                return null;
            }
            if (index < position + length)
            {
                return Store.Find(piece) is { } c ? TensorData.ToInt64s(c)[index - position] : null;
            }
            position += length;
        }
        return null;
    }

    private void VisitTranspose(NodeProto n)
    {
        var x = Layout(n.Input[0]);
        if (x is null)
        {
            return;
        }
        var rank = DimsOf(n.Input[0]).Length;
        var perm = n.GetInts("perm") ?? Enumerable.Range(0, rank).Reverse().Select(i => (long)i).ToArray();
        Set(n.Output[0], x.WithAxis(Array.IndexOf(perm, (long)x.Axis)));
    }

    private void VisitSqueeze(NodeProto n)
    {
        var x = Layout(n.Input[0]);
        if (x is null)
        {
            return;
        }
        var inRank = DimsOf(n.Input[0]).Length;
        var outRank = DimsOf(n.Output[0]).Length;
        var axes = IntsInputOrAttribute(n, 1, "axes");
        if (axes is null)
        {
            // Squeeze without axes drops every size-1 axis: the channel axis survives only if it is not size 1.
            var dims = DimsOf(n.Input[0]);
            axes = Enumerable.Range(0, inRank).Where(i => dims[i] == 1).Select(i => (long)i).ToArray();
        }
        var unsqueeze = n.OpType == "Unsqueeze";
        var norm = axes.Select(a => a < 0 ? a + (unsqueeze ? outRank : inRank) : a).ToHashSet();
        if (!unsqueeze && norm.Contains(x.Axis))
        {
            Spaces.BlockAll(x, $"{Label(n)} (Squeeze) removes their axis");
            return;
        }
        var axis = x.Axis;
        if (unsqueeze)
        {
            // The k-th axis of the input lands on the k-th output position that is not inserted.
            var positions = Enumerable.Range(0, outRank).Where(i => !norm.Contains(i)).ToList();
            axis = positions[x.Axis];
        }
        else
        {
            axis -= norm.Count(i => i < x.Axis);
        }
        Set(n.Output[0], x.WithAxis(axis));
    }

    private void VisitPad(NodeProto n)
    {
        var x = Layout(n.Input[0]);
        if (x is null)
        {
            return;
        }
        var rank = DimsOf(n.Input[0]).Length;
        var pads = IntsInputOrAttribute(n, 1, "pads");
        var axesInput = Optional(n, 3);
        if (pads is null || axesInput is not null || pads.Length != 2 * rank || pads[x.Axis] != 0 || pads[x.Axis + rank] != 0)
        {
            Spaces.BlockAll(x, $"{Label(n)} (Pad) may pad along them");
            return;
        }
        Set(n.Output[0], x);
    }

    private void VisitResize(NodeProto n)
    {
        var x = Layout(n.Input[0]);
        if (x is null)
        {
            return;
        }
        if (Optional(n, 3) is not null || n.GetInts("axes") is not null)
        {
            Spaces.BlockAll(x, $"{Label(n)} (Resize) names output sizes that include the channels");
            return;
        }
        Set(n.Output[0], x);
    }

    private void VisitReduce(NodeProto n)
    {
        var x = Layout(n.Input[0]);
        if (x is null)
        {
            return;
        }
        var rank = DimsOf(n.Input[0]).Length;
        var axes = (n.OpType == "ReduceSum" || _opset >= 18) && n.GetInts("axes") is null ? IntsInputOrAttribute(n, 1, "axes") : n.GetInts("axes");
        if (axes is null || axes.Length == 0)
        {
            return; // reduces everything: the result carries no channels
        }
        var norm = axes.Select(a => a < 0 ? a + rank : a).ToHashSet();
        if (norm.Contains(x.Axis))
        {
            return; // mixes the channels into one value: fewer channels is still a valid graph
        }
        var keep = n.GetInt("keepdims", 1) == 1;
        Set(n.Output[0], keep ? x : x.WithAxis(x.Axis - norm.Count(i => i < x.Axis)));
    }
}
