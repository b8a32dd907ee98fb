using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Factorization;

/// <summary>Shapes seen for one node when the model ran once (null when the probe could not run).</summary>
/// <param name="Input">Dims of the data input (the non-weight operand).</param>
/// <param name="Output">Dims of the node's output.</param>
internal sealed record NodeShapes(long[] Input, long[] Output)
{
    /// <summary>Elements of the output.</summary>
    public long OutputElements => Output.Aggregate(1L, (a, b) => a * b);

    /// <summary>Elements of the input.</summary>
    public long InputElements => Input.Aggregate(1L, (a, b) => a * b);
}

/// <summary>What the rewrite did: the relative Frobenius error of the factorized weight and the nodes it made.</summary>
internal sealed record RewriteResult(double RelativeError, int NewNodes, string Detail);

/// <summary>
/// One factorizable layer after analysis: its spectra, how parameters and error move with the rank(s), and the
/// graph rewrite. Ranks are a vector: one entry for SVD and CP, (input rank, output rank) for Tucker-2.
/// </summary>
internal abstract class LayerPlan
{
    protected LayerPlan(NodeProto node, string weightName, long denseParams, NodeShapes? shapes)
    {
        Node = node;
        WeightName = weightName;
        DenseParams = denseParams;
        Shapes = shapes;
    }

    /// <summary>The node being factorized.</summary>
    public NodeProto Node { get; }

    /// <summary>How reports name the node.</summary>
    public string Label => OnnxGraph.NodeLabel(Node);

    /// <summary>The constant weight input's name.</summary>
    public string WeightName { get; }

    /// <summary>Weight elements before factorization.</summary>
    public long DenseParams { get; }

    /// <summary>Observed shapes, for MAC counts.</summary>
    public NodeShapes? Shapes { get; }

    /// <summary>"svd", "tucker2" or "cp".</summary>
    public abstract string Method { get; }

    /// <summary>The largest rank each rank dimension may take.</summary>
    public abstract int[] MaxRanks { get; }

    /// <summary>Weight elements of the factorized layer at these ranks.</summary>
    public abstract long Params(int[] ranks);

    /// <summary>Predicted squared relative error of the weight at these ranks (from the spectra).</summary>
    public abstract double PredictedError(int[] ranks);

    /// <summary>Ranks keeping the given energy fraction.</summary>
    public abstract int[] EnergyRanks(double energy);

    /// <summary>Ranks from the VBMF estimate.</summary>
    public abstract int[] AutoRanks();

    /// <summary>Multiply-accumulates of the dense layer, when shapes were observed.</summary>
    public abstract long? DenseMacs { get; }

    /// <summary>Multiply-accumulates of the factorized layer at these ranks, when shapes were observed.</summary>
    public abstract long? Macs(int[] ranks);

    /// <summary>Replaces the node with its factorized form at these ranks.</summary>
    public abstract RewriteResult Rewrite(OnnxGraph graph, int[] ranks, FactorizeOptions options, long opset);

    /// <summary>Ranks as text ("12" or "8,16").</summary>
    public static string Text(int[] ranks) => string.Join(",", ranks);

    /// <summary>Inserts new nodes where the old one stood and removes it; the last new node writes its output.</summary>
    protected void Replace(OnnxGraph graph, IReadOnlyList<NodeProto> nodes) => graph.ReplaceNode(Node, nodes);

    /// <summary>Adds a float initializer with a fresh name derived from the node.</summary>
    protected string AddWeight(OnnxGraph graph, string suffix, long[] dims, float[] values)
    {
        var name = graph.UniqueName($"{WeightName}_{suffix}");
        graph.SetInitializer(TensorData.FromFloats(name, dims, values));
        return name;
    }

    /// <summary>A new node named after the original, with a fresh output name unless given.</summary>
    protected NodeProto NewNode(OnnxGraph graph, string op, string suffix, string[] inputs, string? output = null)
    {
        var baseName = string.IsNullOrEmpty(Node.Name) ? Node.Output[0] : Node.Name;
        var name = graph.UniqueName($"{baseName}_{suffix}");
        output ??= graph.UniqueName($"{Node.Output[0]}_{suffix}");
        return NodeAttributes.Create(op, name, inputs, [output]);
    }
}
