using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Execution;

/// <summary>A model's real inputs as data sources need them, read from the graph without starting ONNX Runtime
/// (so bad data can be refused before any work starts).</summary>
public static class ModelInputs
{
    /// <summary>Name, element type and dims (-1 where symbolic or unknown) of each real graph input.</summary>
    public static IReadOnlyList<InputSpec> Of(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var bounds = IndexBounds(model);
        return model.Graph.RealInputs.Select(v =>
        {
            var t = v.Type?.TensorType;
            var dims = t?.Shape?.Dim.Select(d => d.HasDimValue && d.DimValue > 0 ? d.DimValue : -1).ToArray() ?? [];
            return new InputSpec(v.Name, (TensorProto.Types.DataType)(t?.ElemType ?? 1), dims) { IndexBound = Bound(bounds, v.Name) };
        }).ToArray();
    }

    /// <summary>For each graph input read as Gather indices into a constant table (directly or through Cast,
    /// Reshape, Squeeze, Unsqueeze, Flatten, Identity): the fewest rows among those tables.</summary>
    public static IReadOnlyDictionary<string, long> IndexBounds(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Graph;
        var bounds = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var input in graph.RealInputs.Where(v => !DataSpec.IsFloat((TensorProto.Types.DataType)(v.Type?.TensorType?.ElemType ?? 1))))
        {
            var work = new Stack<string>([input.Name]);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (work.Count > 0)
            {
                var value = work.Pop();
                if (!seen.Add(value))
                {
                    continue;
                }
                foreach (var n in graph.Consumers(value))
                {
                    if (n.OpType is "Cast" or "Reshape" or "Squeeze" or "Unsqueeze" or "Flatten" or "Identity" && n.Input[0] == value)
                    {
                        work.Push(n.Output[0]);
                    }
                    else if (n.OpType == "Gather" && n.Input.Count > 1 && n.Input[1] == value && graph.GetConstant(n.Input[0]) is { Dims.Count: > 0 } table)
                    {
                        var axis = (int)n.GetInt("axis", 0);
                        var rows = table.Dims[axis < 0 ? axis + table.Dims.Count : axis];
                        bounds[input.Name] = Math.Min(rows, bounds.GetValueOrDefault(input.Name, long.MaxValue));
                    }
                }
            }
        }
        return bounds;
    }

    internal static long? Bound(IReadOnlyDictionary<string, long> bounds, string name) =>
        bounds.TryGetValue(name, out var b) ? b : null;
}
