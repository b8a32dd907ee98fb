using DT = EdgeCompress.Onnx.Protos.TensorProto.Types.DataType;

namespace EdgeCompress.Onnx;

/// <summary>Shape rules for operators that rearrange data: Concat, Reshape (0, -1, allowzero), Flatten, Transpose,
/// Squeeze/Unsqueeze (axes attribute before opset 13, input from 13), Gather, Split, Expand, Tile and
/// Depth/SpaceToDepth. Concat, Gather, Squeeze and Unsqueeze also fold small integer values for shape arithmetic.</summary>
internal static class LayoutRules
{
    public static void Register(Dictionary<string, Action<NodeContext>> rules)
    {
        rules["Concat"] = Concat;
        rules["Reshape"] = Reshape;
        rules["Flatten"] = Flatten;
        rules["Transpose"] = Transpose;
        rules["Squeeze"] = Squeeze;
        rules["Unsqueeze"] = Unsqueeze;
        rules["Gather"] = Gather;
        rules["GatherElements"] = c => c.Out(0, c.Type(0), c.Dims(1));
        rules["Split"] = Split;
        rules["Expand"] = c => c.Out(0, c.Type(0), c.Values(1) is { } s ? Broadcast.Shapes(c.Dims(0), s) : null);
        rules["Tile"] = Tile;
        rules["DepthToSpace"] = c => SpaceDepth(c, toSpace: true);
        rules["SpaceToDepth"] = c => SpaceDepth(c, toSpace: false);
    }

    private static void Concat(NodeContext c)
    {
        var inputs = Enumerable.Range(0, c.InputCount).Where(c.HasInput).ToArray();
        var first = inputs.Select(c.Dims).FirstOrDefault(d => d is not null);
        var type = inputs.Select(c.Type).FirstOrDefault(t => t != DT.Undefined);
        if (first is null)
        {
            c.Out(0, type, null);
            return;
        }
        var axis = NodeContext.Axis(c.Int("axis", 0), first.Count);
        var dims = first.ToArray();
        dims[axis] = Dim.Of(0);
        foreach (var i in inputs)
        {
            var d = c.Dims(i);
            dims[axis] = d is null ? Dim.Unknown : dims[axis] + d[axis];
            for (var k = 0; k < dims.Length && d is not null; k++)
            {
                if (k != axis && !dims[k].IsKnown && d[k].IsKnown)
                {
                    dims[k] = d[k];
                }
            }
        }
        c.Out(0, type, dims);
        if (first.Count == 1 && inputs.All(i => c.Values(i) is not null))
        {
            c.OutValues(0, inputs.SelectMany(i => c.Values(i)!).ToArray());
        }
    }

    private static void Reshape(NodeContext c)
    {
        var x = c.Dims(0);
        var target = c.Ints("shape")?.Select(Dim.Of).ToArray() ?? c.Values(1);
        if (target is null)
        {
            c.Out(0, c.Type(0), c.Dims(1) is [var len] ? NodeContext.UnknownDims(len) : null);
            return;
        }
        var allowZero = c.Int("allowzero", 0) != 0;
        var dims = new Dim[target.Length];
        var inferIndex = -1;
        for (var i = 0; i < target.Length; i++)
        {
            var t = target[i];
            if (t.IsKnown && t.Value == 0 && !allowZero)
            {
                dims[i] = x is not null && i < x.Count ? x[i] : Dim.Unknown;
            }
            else if (t.IsKnown && t.Value == -1)
            {
                inferIndex = i;
            }
            else
            {
                dims[i] = t.IsKnown && t.Value < 0 ? throw new InvalidOperationException($"reshape target has {t.Value}") : t;
            }
        }
        if (inferIndex >= 0)
        {
            dims[inferIndex] = x is null ? Dim.Unknown : Remainder(x, dims, inferIndex);
        }
        c.Out(0, c.Type(0), dims);
        if (c.Values(0) is { } v)
        {
            c.OutValues(0, v);
        }
    }

    /// <summary>The size a -1 stands for: input elements over the other target dims, cancelling equal symbols.</summary>
    private static Dim Remainder(IReadOnlyList<Dim> input, Dim[] target, int skip)
    {
        if (input.Any(d => !d.IsKnown && !d.IsSymbolic) || target.Where((_, i) => i != skip).Any(d => !d.IsKnown && !d.IsSymbolic))
        {
            return Dim.Unknown;
        }
        var symbols = input.Where(d => d.IsSymbolic).Select(d => d.Symbol!).ToList();
        foreach (var d in target.Where((d, i) => i != skip && d.IsSymbolic))
        {
            if (!symbols.Remove(d.Symbol!))
            {
                return Dim.Unknown;
            }
        }
        if (symbols.Count > 0)
        {
            return Dim.Unknown;
        }
        var num = SafeMath.Product(input.Where(d => d.IsKnown).Select(d => d.Value));
        var den = SafeMath.Product(target.Where((d, i) => i != skip && d.IsKnown).Select(d => d.Value));
        return den == 0 || num % den != 0 ? Dim.Unknown : Dim.Of(num / den);
    }

    private static void Flatten(NodeContext c)
    {
        var x = c.Dims(0);
        if (x is null)
        {
            c.Out(0, c.Type(0), null);
            return;
        }
        var axis = c.Int("axis", 1);
        axis = axis < 0 ? axis + x.Count : axis;
        var outer = x.Take((int)axis).Aggregate(Dim.Of(1), (a, b) => a * b);
        var inner = x.Skip((int)axis).Aggregate(Dim.Of(1), (a, b) => a * b);
        c.Out(0, c.Type(0), [outer, inner]);
    }

    private static void Transpose(NodeContext c)
    {
        var x = c.Dims(0);
        if (x is null)
        {
            c.Out(0, c.Type(0), null);
            return;
        }
        var perm = c.Ints("perm") ?? Enumerable.Range(0, x.Count).Reverse().Select(i => (long)i).ToArray();
        c.Out(0, c.Type(0), perm.Select(p => x[NodeContext.Axis(p, x.Count)]).ToArray());
    }

    private static void Squeeze(NodeContext c)
    {
        var x = c.Dims(0);
        var axes = c.Axes(1);
        if (x is null || (axes is null && c.HasInput(1)))
        {
            c.Out(0, c.Type(0), null);
            return;
        }
        HashSet<int> drop;
        if (axes is null)
        {
            if (x.Any(d => !d.IsKnown))
            {
                c.Out(0, c.Type(0), null);
                return;
            }
            drop = [.. Enumerable.Range(0, x.Count).Where(i => x[i].Value == 1)];
        }
        else
        {
            drop = [.. axes.Select(a => NodeContext.Axis(a, x.Count))];
        }
        c.Out(0, c.Type(0), x.Where((_, i) => !drop.Contains(i)).ToArray());
        if (c.Values(0) is { } v)
        {
            c.OutValues(0, v);
        }
    }

    private static void Unsqueeze(NodeContext c)
    {
        var x = c.Dims(0);
        var axes = c.Axes(1);
        if (x is null || axes is null)
        {
            c.Out(0, c.Type(0), null);
            return;
        }
        var rank = x.Count + axes.Length;
        var inserted = axes.Select(a => NodeContext.Axis(a, rank)).ToHashSet();
        var dims = new Dim[rank];
        var k = 0;
        for (var i = 0; i < rank; i++)
        {
            dims[i] = inserted.Contains(i) ? Dim.Of(1) : x[k++];
        }
        c.Out(0, c.Type(0), dims);
        if (c.Values(0) is { } v)
        {
            c.OutValues(0, v);
        }
    }

    private static void Gather(NodeContext c)
    {
        var data = c.Dims(0);
        var indices = c.Dims(1);
        if (data is null || indices is null)
        {
            c.Out(0, c.Type(0), null);
            return;
        }
        var axis = NodeContext.Axis(c.Int("axis", 0), data.Count);
        c.Out(0, c.Type(0), data.Take(axis).Concat(indices).Concat(data.Skip(axis + 1)).ToArray());
        if (data.Count == 1 && c.Values(0) is { } v && c.KnownValues(1) is { } idx)
        {
            c.OutValues(0, idx.Select(i => v[(int)(i < 0 ? i + v.Length : i)]).ToArray());
        }
    }

    private static void Split(NodeContext c)
    {
        var x = c.Dims(0);
        var outputs = c.Node.Output.Count;
        if (x is null)
        {
            for (var i = 0; i < outputs; i++)
            {
                c.Out(i, c.Type(0), null);
            }
            return;
        }
        var axis = NodeContext.Axis(c.Int("axis", 0), x.Count);
        var split = c.Ints("split") ?? c.KnownValues(1);
        for (var i = 0; i < outputs; i++)
        {
            var dims = x.ToArray();
            if (split is not null)
            {
                dims[axis] = split[i];
            }
            else if (x[axis].IsKnown && !c.HasInput(1))
            {
                // Equal split; with num_outputs (opset 18) the last chunk may be smaller.
                var chunk = (x[axis].Value + outputs - 1) / outputs;
                dims[axis] = i < outputs - 1 ? chunk : x[axis].Value - (chunk * (outputs - 1));
            }
            else
            {
                dims[axis] = Dim.Unknown;
            }
            c.Out(i, c.Type(0), dims);
        }
    }

    private static void Tile(NodeContext c)
    {
        var x = c.Dims(0);
        var repeats = c.Values(1);
        c.Out(0, c.Type(0), x is null || repeats is null || repeats.Length != x.Count ? null : x.Zip(repeats, (a, b) => a * b).ToArray());
    }

    private static void SpaceDepth(NodeContext c, bool toSpace)
    {
        var x = c.Dims(0);
        if (x is not { Count: 4 })
        {
            c.Out(0, c.Type(0), null);
            return;
        }
        var b = c.Int("blocksize", 1);
        Dim Div(Dim d) => d.IsKnown ? Dim.Of(d.Value / b) : Dim.Unknown;
        c.Out(0, c.Type(0), toSpace
            ? [x[0], Div(Div(x[1])), x[2] * Dim.Of(b), x[3] * Dim.Of(b)]
            : [x[0], x[1] * Dim.Of(b * b), Div(x[2]), Div(x[3])]);
    }
}
