using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Onnx;

/// <summary>The mutable tables shape inference fills as it walks a model's graphs.</summary>
internal sealed class InferenceState
{
    /// <summary>Integer tensors above this many elements are not folded (shape arithmetic is small).</summary>
    public const int MaxFoldedElements = 4096;

    public Dictionary<string, TensorType> Types { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, Dim[]> Values { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, TensorProto> Constants { get; } = new(StringComparer.Ordinal);

    public List<string> Notes { get; } = [];

    /// <summary>Records a stored constant (initializer or Constant value) and, for small integers, its values.</summary>
    public void AddConstant(string name, TensorProto tensor)
    {
        Constants[name] = tensor;
        Types[name] = TensorType.FromTensor(tensor);
        var type = TensorData.TypeOf(tensor);
        if (type is TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Int32 or TensorProto.Types.DataType.Int16
            or TensorProto.Types.DataType.Int8 or TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Uint16
            or TensorProto.Types.DataType.Uint32 or TensorProto.Types.DataType.Bool
            && TensorData.ElementCount(tensor) <= MaxFoldedElements
            && tensor.DataLocation != TensorProto.Types.DataLocation.External)
        {
            Values[name] = TensorData.ToInt64s(tensor).Select(Dim.Of).ToArray();
        }
    }
}
