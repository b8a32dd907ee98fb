using EdgeCompress.Onnx.Protos;
using DT = EdgeCompress.Onnx.Protos.TensorProto.Types.DataType;

namespace EdgeCompress.Onnx;

/// <summary>Rules for the operators shape computations are built from: Shape (start/end), Size, Constant,
/// ConstantOfShape, Range and Identity, each folding its integer value so later Reshape/Expand/Resize resolve.</summary>
internal static class ShapeValueRules
{
    public static void Register(Dictionary<string, Action<NodeContext>> rules)
    {
        rules["Shape"] = Shape;
        rules["Size"] = c =>
        {
            c.Out(0, DT.Int64, []);
            if (c.In(0)?.Dims is { } d)
            {
                c.OutValues(0, [d.Aggregate(Dim.Of(1), (a, b) => a * b)]);
            }
        };
        rules["Constant"] = Constant;
        rules["ConstantOfShape"] = ConstantOfShape;
        rules["Range"] = Range;
        rules["Identity"] = c =>
        {
            c.Out(0, c.In(0));
            if (c.Values(0) is { } v)
            {
                c.OutValues(0, v);
            }
        };
        rules["NonZero"] = c => c.Out(0, DT.Int64, c.Dims(0) is { } d ? [Dim.Of(d.Count), Dim.Unknown] : null);
    }

    private static void Shape(NodeContext c)
    {
        var x = c.Dims(0);
        if (x is null)
        {
            c.Out(0, DT.Int64, [Dim.Unknown]);
            return;
        }
        var rank = x.Count;
        var start = Clamp(c.Int("start", 0), rank);
        var end = Clamp(c.Int("end", rank), rank);
        var dims = x.Skip(start).Take(Math.Max(0, end - start)).ToArray();
        c.Out(0, DT.Int64, [Dim.Of(dims.Length)]);
        c.OutValues(0, dims);
    }

    private static int Clamp(long v, int rank) => (int)Math.Clamp(v < 0 ? v + rank : v, 0, rank);

    private static void Constant(NodeContext c)
    {
        var n = c.Node;
        if (n.Find("value") is { T: { } t })
        {
            c.OutConstant(0, t);
        }
        else if (n.Find("value_int") is { } vi)
        {
            c.OutConstant(0, TensorData.FromInt64s(n.Output[0], [], [vi.I]));
        }
        else if (n.Find("value_ints") is { } vis)
        {
            c.OutConstant(0, TensorData.FromInt64s(n.Output[0], [vis.Ints.Count], vis.Ints.ToArray()));
        }
        else if (n.Find("value_float") is { } vf)
        {
            c.OutConstant(0, TensorData.FromFloats(n.Output[0], [], [vf.F]));
        }
        else if (n.Find("value_floats") is { } vfs)
        {
            c.OutConstant(0, TensorData.FromFloats(n.Output[0], [vfs.Floats.Count], vfs.Floats.ToArray()));
        }
        else if (n.Find("value_string") is not null)
        {
            c.Out(0, DT.String, []);
        }
        else if (n.Find("value_strings") is { } vss)
        {
            c.Out(0, DT.String, [Dim.Of(vss.Strings.Count)]);
        }
        else if (n.Find("sparse_value") is { SparseTensor: { } sp })
        {
            c.Out(0, (DT)(sp.Values?.DataType ?? 0), sp.Dims.Select(Dim.Of).ToArray());
        }
    }

    private static void ConstantOfShape(NodeContext c)
    {
        var value = c.Node.Find("value")?.T;
        var type = value is null ? DT.Float : (DT)value.DataType;
        var shape = c.Values(0);
        c.Out(0, type, shape ?? (c.Dims(0) is [var r] ? NodeContext.UnknownDims(r) : null));
        if (shape is not null && shape.All(d => d.IsKnown) && value is not null && ElementwiseRules.IsInteger(type))
        {
            var count = SafeMath.Product(shape.Select(d => d.Value));
            var fill = TensorData.ToInt64s(value) is [var f, ..] ? f : 0;
            if (count <= InferenceState.MaxFoldedElements)
            {
                c.OutValues(0, Enumerable.Repeat(Dim.Of(fill), (int)count).ToArray());
            }
        }
    }

    private static void Range(NodeContext c)
    {
        var type = c.Type(0);
        if (c.KnownValues(0) is [var start] && c.KnownValues(1) is [var limit] && c.KnownValues(2) is [var delta] && delta != 0)
        {
            var count = Math.Max(0, (long)Math.Ceiling((limit - start) / (double)delta));
            c.Out(0, type, [Dim.Of(count)]);
            if (count <= InferenceState.MaxFoldedElements)
            {
                c.OutValues(0, Enumerable.Range(0, (int)count).Select(i => Dim.Of(start + (i * delta))).ToArray());
            }
            return;
        }
        if (c.Constant(0) is { } s && c.Constant(1) is { } l && c.Constant(2) is { } d
            && TensorData.ToFloats(s) is [var fs] && TensorData.ToFloats(l) is [var fl] && TensorData.ToFloats(d) is [var fd] && fd != 0)
        {
            c.Out(0, type, [Dim.Of(Math.Max(0, (long)Math.Ceiling((fl - fs) / fd)))]);
            return;
        }
        c.Out(0, type, [Dim.Unknown]);
    }
}
