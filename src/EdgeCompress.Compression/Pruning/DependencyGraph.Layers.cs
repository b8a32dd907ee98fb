using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Pruning;

/// <summary>Rules for the layers that own channels (Conv, Gemm, MatMul, normalisation) and for the operators
/// that combine values (elementwise arithmetic ties spaces, Concat lays them side by side).</summary>
internal sealed partial class DependencyGraph
{
    private void VisitConv(NodeProto n)
    {
        var x = Layout(n.Input[0]);
        var w = Store.Find(n.Input[1]);
        var bias = Optional(n, 2);
        if (w is null || w.Dims.Count < 3 || (bias is not null && Store.Find(bias) is null))
        {
            Spaces.BlockAll(x, $"{Label(n)} has weights computed at run time");
            return;
        }
        var group = n.GetInt("group", 1);
        var transposed = n.OpType == "ConvTranspose";
        // Conv weights are [Cout, Cin/group, k...]; ConvTranspose weights are [Cin, Cout/group, k...].
        var cout = (int)(transposed ? w.Dims[1] * group : w.Dims[0]);
        var cin = transposed ? w.Dims[0] : w.Dims[1] * group;
        var xOk = x is not null && x.Axis == 1 && x.Segments.All(s => s.Repeat == 1);
        if (group == 1)
        {
            Consume(n, x, n.Input[1], transposed ? 0 : 1, cin, xOk);
            Set(n.Output[0], NewSource(n, cout, 1, n.Input[1], transposed ? 1 : 0, bias, 0));
            return;
        }
        if (!transposed && w.Dims[1] == 1 && cout == group)
        {
            // Depthwise: channel c in, channel c out; the group count shrinks with the channels.
            if (x is null)
            {
                Set(n.Output[0], ChannelLayout.Single(1, Spaces.CreateFixed(cout, $"depthwise {Label(n)} follows the channels of its input, which are not prunable", n), cout));
                return;
            }
            if (!xOk || x.Length != cin || !Store.IsPrivate(n.Input[1]) || (bias is not null && !Store.IsPrivate(bias)))
            {
                Spaces.BlockAll(x, $"depthwise {Label(n)} reads them in a way we cannot follow");
                return;
            }
            Sites.Add(new ParamSlice(n, x, n.Input[1], 0, SiteRole.Elementwise));
            if (bias is not null)
            {
                Sites.Add(new ParamSlice(n, x, bias, 0, SiteRole.Elementwise));
            }
            Sites.Add(new ConvGroupSite(n, x));
            Set(n.Output[0], x);
            return;
        }
        Spaces.BlockAll(x, $"{Label(n)} is a grouped convolution ({group} groups)");
        Set(n.Output[0], ChannelLayout.Single(1, Spaces.CreateFixed(cout, $"it is a grouped convolution ({group} groups)", n), cout));
    }

    private void VisitGemm(NodeProto n)
    {
        var a = Layout(n.Input[0]);
        var b = Store.Find(n.Input[1]);
        var c = Optional(n, 2);
        var cTensor = c is null ? null : Store.Find(c);
        if (b is null || b.Dims.Count != 2 || (c is not null && cTensor is null))
        {
            Spaces.BlockAll(a, $"{Label(n)} has weights computed at run time");
            return;
        }
        var transB = n.GetInt("transB", 0) == 1;
        var kAxis = transB ? 1 : 0;
        var nAxis = transB ? 0 : 1;
        var aOk = a is not null && a.Axis == 1 && n.GetInt("transA", 0) == 0 && DimsOf(n.Input[0]).Length == 2;
        Consume(n, a, n.Input[1], kAxis, b.Dims[kAxis], aOk);
        var count = (int)b.Dims[nAxis];
        // The bias broadcasts: only a bias that has a dimension of N channels is sliced.
        var biasAxis = cTensor is null ? -1 : cTensor.Dims.Count == 1 && cTensor.Dims[0] == count && count > 1 ? 0
            : cTensor.Dims.Count == 2 && cTensor.Dims[1] == count && count > 1 ? 1 : -1;
        if (cTensor is not null && biasAxis < 0 && cTensor.Dims.Any(d => d != 1))
        {
            Set(n.Output[0], ChannelLayout.Single(1, Spaces.CreateFixed(count, "its bias is not per-channel", n), count));
            return;
        }
        Set(n.Output[0], NewSource(n, count, 1, n.Input[1], nAxis, biasAxis >= 0 ? c : null, biasAxis));
    }

    private void VisitMatMul(NodeProto n)
    {
        var a = Layout(n.Input[0]);
        var b = Store.Find(n.Input[1]);
        var rank = DimsOf(n.Input[0]).Length;
        if (b is null && VisitBatchedMatMul(n))
        {
            return;
        }
        if (b is null || b.Dims.Count != 2 || rank < 2)
        {
            Spaces.BlockAll(a, $"{Label(n)} multiplies by a matrix computed at run time");
            Spaces.BlockAll(Layout(n.Input[1]), $"{Label(n)} multiplies by a matrix computed at run time");
            return;
        }
        Consume(n, a, n.Input[1], 0, b.Dims[0], a is not null && a.Axis == rank - 1);
        Set(n.Output[0], NewSource(n, (int)b.Dims[1], DimsOf(n.Output[0]).Length - 1, n.Input[1], 1, null, 0));
    }

    private void VisitNorm(NodeProto n)
    {
        var x = Layout(n.Input[0]);
        if (x is null)
        {
            return;
        }
        var parameters = Enumerable.Range(1, n.Input.Count - 1).Select(i => n.Input[i]).ToList();
        if (x.Axis != 1 || x.Segments.Any(s => s.Repeat != 1) || parameters.Any(p => !Store.IsPrivate(p)))
        {
            Spaces.BlockAll(x, $"{Label(n)} has parameters we cannot slice");
            return;
        }
        for (var i = 0; i < parameters.Count; i++)
        {
            Sites.Add(new ParamSlice(n, x, parameters[i], 0, i == 0 ? SiteRole.BatchNormScale : SiteRole.BatchNormOther));
        }
        Set(n.Output[0], x);
    }

    /// <summary>LayerNormalization over the last axis, which carries the channels: scale and bias lose the pruned
    /// entries (the mean and variance are then taken over the kept channels, as in the decomposed form).</summary>
    private void VisitLayerNorm(NodeProto n)
    {
        var x = Layout(n.Input[0]);
        if (x is null)
        {
            return;
        }
        var rank = DimsOf(n.Input[0]).Length;
        var axis = (int)n.GetInt("axis", -1);
        axis = axis < 0 ? axis + rank : axis;
        var parameters = Enumerable.Range(1, n.Input.Count - 1).Select(i => n.Input[i]).Where(p => p.Length > 0).ToList();
        if (x.Axis != rank - 1 || axis != rank - 1 || parameters.Any(p => !Store.IsPrivate(p) || Store.Find(p)!.Dims.Count != 1))
        {
            Spaces.BlockAll(x, $"{Label(n)} (LayerNormalization) normalizes them together with other axes or has parameters we cannot slice");
            return;
        }
        foreach (var p in parameters)
        {
            Sites.Add(new ParamSlice(n, x, p, 0, SiteRole.Elementwise));
        }
        Set(n.Output[0], x);
    }

    private void VisitElementwise(NodeProto n)
    {
        var outRank = DimsOf(n.Output[0]).Length;
        var carried = n.Input.Where(i => Layout(i) is not null).Select(i => (Value: i, L: Layout(i)!, Axis: Layout(i)!.Axis + outRank - DimsOf(i).Length)).ToList();
        if (carried.Count == 0)
        {
            return;
        }
        var first = carried[0];
        var where = $"{Label(n)} ({n.OpType})";
        foreach (var other in carried.Skip(1))
        {
            var same = other.Axis == first.Axis && other.L.Segments.Count == first.L.Segments.Count
                && other.L.Segments.Zip(first.L.Segments).All(p => p.First.Count == p.Second.Count && p.First.Repeat == p.Second.Repeat);
            if (!same)
            {
                Spaces.BlockAll(first.L, $"{where} combines channel groups that do not line up");
                Spaces.BlockAll(other.L, $"{where} combines channel groups that do not line up");
                return;
            }
            foreach (var (p, q) in first.L.Segments.Zip(other.L.Segments))
            {
                Spaces.Union(p.Space, q.Space, where);
            }
        }
        var output = first.L.WithAxis(first.Axis);
        foreach (var input in n.Input.Where(i => i.Length > 0 && Layout(i) is null))
        {
            var dims = DimsOf(input);
            var pos = first.Axis - (outRank - dims.Length);
            if (pos < 0 || dims[pos] == 1)
            {
                continue;
            }
            if (dims[pos] == output.Length && Store.IsPrivate(input))
            {
                Sites.Add(new ParamSlice(n, output, input, pos, SiteRole.Elementwise));
            }
            else if (dims[pos] == output.Length && ExpandedConstant(input, pos) is var (constant, axis))
            {
                Sites.Add(new ParamSlice(_graph.Producer(input)!, output, constant, axis, SiteRole.Elementwise));
            }
            else
            {
                Spaces.BlockAll(output, $"{where} combines them with '{input}', which is not prunable");
            }
        }
        Set(n.Output[0], output);
    }

    private void VisitConcat(NodeProto n)
    {
        var rank = DimsOf(n.Output[0]).Length;
        var axis = (int)n.GetInt("axis", 1);
        axis = axis < 0 ? axis + rank : axis;
        var inputs = n.Input.Where(i => i.Length > 0).ToList();
        if (!inputs.Any(i => Layout(i) is not null))
        {
            return;
        }
        if (!inputs.Any(i => Layout(i)?.Axis == axis))
        {
            // Concatenated along another axis: every input must carry the same channels (constants are sliced;
            // anything else blocks them).
            VisitElementwise(n);
            return;
        }
        var segments = new List<Segment>();
        foreach (var i in inputs)
        {
            var l = Layout(i);
            if (l is not null && l.Axis == axis)
            {
                segments.AddRange(l.Segments);
                continue;
            }
            Spaces.BlockAll(l, $"{Label(n)} (Concat) joins them along another axis");
            var size = (int)DimsOf(i)[axis];
            if (size > 0)
            {
                segments.Add(new Segment(Spaces.CreateFixed(size, $"input '{i}' of {Label(n)} is not prunable"), size, 1));
            }
        }
        Set(n.Output[0], new ChannelLayout(axis, segments));
    }
}
