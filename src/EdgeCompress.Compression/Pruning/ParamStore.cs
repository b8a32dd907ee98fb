using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Pruning;

/// <summary>
/// Finds and edits the constant tensors behind node inputs, whether the exporter stored them as initializers
/// (also the old style listed among graph inputs) or as Constant nodes, and slices them along one axis.
/// The tensors returned are the graph's own objects, so edits land in the model.
/// </summary>
internal sealed class ParamStore
{
    private readonly OnnxGraph _graph;

    public ParamStore(OnnxGraph graph) => _graph = graph;

    /// <summary>The constant tensor behind a value, or null when the value is computed at run time.</summary>
    public TensorProto? Find(string value)
    {
        if (value.Length == 0)
        {
            return null;
        }
        if (_graph.Initializers.TryGetValue(value, out var t))
        {
            return t;
        }
        var p = _graph.Producer(value);
        if (p is { OpType: "Constant" } && (p.Domain ?? "").Length == 0)
        {
            return p.Attribute.FirstOrDefault(a => a.Name == "value")?.T;
        }
        return null;
    }

    /// <summary>True when the value is a constant that exactly one node reads, so slicing it cannot
    /// change another layer.</summary>
    public bool IsPrivate(string value) =>
        Find(value) is not null && _graph.Consumers(value).Count == 1 && !_graph.IsGraphOutput(value);

    /// <summary>The element count of a constant.</summary>
    public static long Count(TensorProto t) => TensorData.ElementCount(t);

    /// <summary>
    /// Keeps only <paramref name="keep"/> (ascending positions) along <paramref name="axis"/>, for any element type:
    /// the raw bytes are copied block-wise. Updates the graph-input entry old exporters keep for initializers.
    /// </summary>
    public void Slice(string value, int axis, IReadOnlyList<long> keep)
    {
        var t = Find(value) ?? throw new InvalidOperationException($"'{value}' is not a constant");
        var dims = t.Dims.ToArray();
        if (axis < 0 || axis >= dims.Length)
        {
            throw new InvalidOperationException($"constant '{value}' has no axis {axis}");
        }
        var size = DataTypes.ElementSize(TensorData.TypeOf(t));
        if (size <= 0)
        {
            throw new InvalidOperationException($"constant '{value}' has a packed element type; it cannot be sliced");
        }
        var raw = TensorData.GetRawBytes(t);
        long outer = 1;
        for (var i = 0; i < axis; i++)
        {
            outer *= dims[i];
        }
        long inner = size;
        for (var i = axis + 1; i < dims.Length; i++)
        {
            inner *= dims[i];
        }
        var result = new byte[outer * keep.Count * inner];
        long at = 0;
        for (long o = 0; o < outer; o++)
        {
            foreach (var k in keep)
            {
                Array.Copy(raw, ((o * dims[axis]) + k) * inner, result, at, inner);
                at += inner;
            }
        }
        dims[axis] = keep.Count;
        TensorData.SetValues<byte>(t, dims, result);
        UpdateInputEntry(value, dims);
    }

    /// <summary>Replaces the values of an int64 constant (shapes, split sizes); a shared constant is copied first
    /// so other readers keep the old values. Returns the name the node should read.</summary>
    public string SetInt64s(NodeProto reader, int inputIndex, long[] values)
    {
        var name = inputIndex < reader.Input.Count ? reader.Input[inputIndex] : "";
        if (name.Length == 0 || !IsPrivate(name))
        {
            var fresh = _graph.UniqueName((name.Length == 0 ? OnnxGraph.NodeLabel(reader) + "_split" : name) + "_pruned");
            _graph.SetInitializer(TensorData.FromInt64s(fresh, [values.Length], values));
            _graph.SetInput(reader, inputIndex, fresh);
            return fresh;
        }
        var t = Find(name)!;
        TensorData.SetValues<long>(t, [values.Length], values);
        return name;
    }

    private void UpdateInputEntry(string value, long[] dims)
    {
        var entry = _graph.Proto.Input.FirstOrDefault(i => i.Name == value);
        if (entry?.Type?.TensorType is { } tt)
        {
            tt.Shape = new TensorShapeProto();
            foreach (var d in dims)
            {
                tt.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
            }
        }
    }
}
