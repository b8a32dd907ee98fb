using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Data;

/// <summary>One tensor of a sample: float32 values (or integer values widened to long) with their shape.</summary>
/// <param name="Name">The model input it feeds, or null to feed inputs by position.</param>
/// <param name="Dims">Shape, batch dimension included.</param>
/// <param name="Floats">Values for float inputs; null for integer inputs.</param>
/// <param name="Int64s">Values for integer inputs; null for float inputs.</param>
/// <param name="ElementType">The ONNX element type the values stand for.</param>
public sealed record SampleTensor(string? Name, long[] Dims, float[]? Floats, long[]? Int64s, TensorProto.Types.DataType ElementType);

/// <summary>One sample (or batch) for a model: its input tensors and, for labelled data, the class labels
/// (one per batch row).</summary>
public sealed record Sample(IReadOnlyList<SampleTensor> Inputs, int[]? Labels)
{
    /// <summary>Where each batch row came from, for data read from files: the path relative to the data folder
    /// ('/'-separated, with "#row" for a row of a file that holds a batch); null for other data.</summary>
    public IReadOnlyList<string>? Sources { get; init; }
}

/// <summary>A model input as data sources need it: name, element type, dims (-1 where dynamic).</summary>
public sealed record InputSpec(string Name, TensorProto.Types.DataType ElementType, long[] Dims)
{
    /// <summary>For an integer input the model uses as row indices into constant tables (token ids, token types):
    /// the fewest rows of those tables, so made-up values stay in range; null when it indexes no table.</summary>
    public long? IndexBound { get; init; }
}
