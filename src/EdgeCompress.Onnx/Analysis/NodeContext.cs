using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Onnx;

/// <summary>What a shape rule sees of one node: its inputs' inferred types, folded integer values and stored
/// constants, and where it writes its outputs' types (and values, when it folds a shape computation).</summary>
internal sealed class NodeContext
{
    private readonly InferenceState _state;

    public NodeContext(NodeProto node, long opset, InferenceState state)
    {
        Node = node;
        Opset = opset;
        _state = state;
    }

    public NodeProto Node { get; }

    /// <summary>The default-domain opset version in force (attribute-vs-input forms differ by version).</summary>
    public long Opset { get; }

    public int InputCount => Node.Input.Count;

    public bool HasInput(int i) => i < Node.Input.Count && Node.Input[i].Length > 0;

    public TensorType? In(int i) => HasInput(i) ? _state.Types.GetValueOrDefault(Node.Input[i]) : null;

    /// <summary>The dims of input i, or null when absent or of unknown rank.</summary>
    public IReadOnlyList<Dim>? Dims(int i) => In(i)?.Dims;

    public TensorProto.Types.DataType Type(int i) => In(i)?.ElementType ?? TensorProto.Types.DataType.Undefined;

    /// <summary>The folded values of an integer input (a constant, or a computed shape), or null.</summary>
    public Dim[]? Values(int i) => HasInput(i) ? _state.Values.GetValueOrDefault(Node.Input[i]) : null;

    /// <summary>Folded values when every one is known.</summary>
    public long[]? KnownValues(int i) => Values(i) is { } v && v.All(d => d.IsKnown) ? v.Select(d => d.Value).ToArray() : null;

    /// <summary>The stored tensor behind an input (initializer or Constant), or null.</summary>
    public TensorProto? Constant(int i) => HasInput(i) ? _state.Constants.GetValueOrDefault(Node.Input[i]) : null;

    public void Out(int i, TensorType? type)
    {
        if (type is not null && i < Node.Output.Count && Node.Output[i].Length > 0)
        {
            _state.Types[Node.Output[i]] = type;
        }
    }

    public void Out(int i, TensorProto.Types.DataType type, IReadOnlyList<Dim>? dims) => Out(i, new TensorType(type, dims));

    /// <summary>Records the folded values of an integer output (shape arithmetic); large results are not kept.</summary>
    public void OutValues(int i, Dim[] values)
    {
        if (i < Node.Output.Count && Node.Output[i].Length > 0 && values.Length <= InferenceState.MaxFoldedElements)
        {
            _state.Values[Node.Output[i]] = values;
        }
    }

    /// <summary>Records a constant output (Constant node): its type, the tensor, and folded values when small.</summary>
    public void OutConstant(int i, TensorProto tensor)
    {
        if (i < Node.Output.Count && Node.Output[i].Length > 0)
        {
            _state.AddConstant(Node.Output[i], tensor);
        }
    }

    public long Int(string name, long fallback) => Node.GetInt(name, fallback);

    public long[]? Ints(string name) => Node.GetInts(name);

    /// <summary>Axes either from the "axes" attribute (older opsets) or from input <paramref name="inputIndex"/>.</summary>
    public long[]? Axes(int inputIndex) => Node.GetInts("axes") ?? KnownValues(inputIndex);

    /// <summary>Highest rank believed; a larger "rank" read from a malformed model is treated as unknown.</summary>
    public const int MaxRank = 1024;

    /// <summary>A shape of the given rank with every dim unknown, or null when the rank is unknown or absurd.</summary>
    public static Dim[]? UnknownDims(Dim rank) =>
        rank.IsKnown && rank.Value is >= 0 and <= MaxRank ? new Dim[rank.Value] : null;

    /// <summary>Normalises a possibly negative axis against a rank.</summary>
    public static int Axis(long axis, int rank)
    {
        var a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= Math.Max(rank, 1))
        {
            throw new InvalidOperationException($"axis {axis} out of range for rank {rank}");
        }
        return (int)a;
    }
}
