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
        return model.Graph.RealInputs.Select(v =>
        {
            var t = v.Type?.TensorType;
            var dims = t?.Shape?.Dim.Select(d => d.HasDimValue && d.DimValue > 0 ? d.DimValue : -1).ToArray() ?? [];
            return new InputSpec(v.Name, (TensorProto.Types.DataType)(t?.ElemType ?? 1), dims);
        }).ToArray();
    }
}
