using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Onnx;

/// <summary>The multiply-accumulate count of one node and the shapes it was computed from.</summary>
/// <param name="Node">The node's label (name, or op type and first output).</param>
/// <param name="OpType">The operator type.</param>
/// <param name="Macs">MACs, null when a needed shape is unknown; saturates at <see cref="SafeMath.Saturated"/>.</param>
/// <param name="InputShapes">Shapes of the node's inputs as used (e.g. "1x3x224x224"), "" for absent inputs.</param>
/// <param name="OutputShape">Shape of the first output as used.</param>
public sealed record NodeCost(string Node, string OpType, long? Macs, IReadOnlyList<string> InputShapes, string OutputShape);

/// <summary>Stored parameters of one element type.</summary>
public sealed record ParameterGroup(TensorProto.Types.DataType ElementType, long Count, long Bytes);

/// <summary>Parameter and MAC totals of a model (main graph and subgraphs).</summary>
public sealed class ModelCost
{
    internal ModelCost(IReadOnlyList<NodeCost> nodes, IReadOnlyList<ParameterGroup> parameters)
    {
        Nodes = nodes;
        Parameters = parameters;
        TotalMacs = nodes.Aggregate(0L, (s, n) => SafeMath.Add(s, n.Macs ?? 0));
        UnknownMacNodes = nodes.Count(n => n.Macs is null);
        ParameterCount = parameters.Aggregate(0L, (s, p) => SafeMath.Add(s, p.Count));
        ParameterBytes = parameters.Aggregate(0L, (s, p) => SafeMath.Add(s, p.Bytes));
    }

    /// <summary>Nodes whose operator performs multiply-accumulates (convolutions, matrix products, recurrent
    /// layers, normalisation, pooling), in graph order.</summary>
    public IReadOnlyList<NodeCost> Nodes { get; }

    /// <summary>Sum of the known per-node MACs (saturating).</summary>
    public long TotalMacs { get; }

    /// <summary>Nodes whose MACs could not be computed because a shape is unknown; the total omits them.</summary>
    public int UnknownMacNodes { get; }

    /// <summary>True when the total hit the 64-bit saturation value.</summary>
    public bool MacsSaturated => SafeMath.IsSaturated(TotalMacs);

    /// <summary>Stored tensors (initializers, sparse initializers, Constant values) by element type.</summary>
    public IReadOnlyList<ParameterGroup> Parameters { get; }

    /// <summary>Total parameter elements.</summary>
    public long ParameterCount { get; }

    /// <summary>Total parameter bytes in raw layout.</summary>
    public long ParameterBytes { get; }
}

/// <summary>
/// Counts parameters and multiply-accumulates. Conv: N·M·∏out·(C/group)·∏k; ConvTranspose: N·C·∏in·(M/group)·∏k;
/// Gemm: M·N·K; MatMul: ∏out·K; LSTM/GRU/RNN: seq·batch·dirs·gates·hidden·(input+hidden); BatchNormalization one per
/// element; pooling one per window element (a rough figure: comparisons or adds, not multiplies).
/// </summary>
public static class CostModel
{
    /// <summary>Computes costs from the shapes shape inference found.</summary>
    public static ModelCost Compute(OnnxModel model, ShapeInferenceResult shapes)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(shapes);
        var nodes = new List<NodeCost>();
        foreach (var graph in ModelWalker.GraphAndSubgraphs(model.Graph.Proto))
        {
            foreach (var node in graph.Node)
            {
                if (!MacRules.IsCounted(node.Domain ?? "", node.OpType))
                {
                    continue;
                }
                var inputs = node.Input.Select(i => i.Length == 0 ? null : shapes.TypeOf(i)).ToArray();
                var output = node.Output.Count > 0 ? shapes.TypeOf(node.Output[0]) : null;
                nodes.Add(new NodeCost(
                    OnnxGraph.NodeLabel(node),
                    node.OpType,
                    MacRules.Macs(node, inputs, output),
                    inputs.Select(t => t?.ShapeText() ?? "").ToArray(),
                    output?.ShapeText() ?? "?"));
            }
        }
        var parameters = ModelWalker.Tensors(model.Proto)
            .GroupBy(t => TensorData.TypeOf(t.Tensor))
            .Select(g => new ParameterGroup(
                g.Key,
                g.Aggregate(0L, (s, t) => SafeMath.Add(s, TensorData.ElementCount(t.Tensor))),
                g.Aggregate(0L, (s, t) => SafeMath.Add(s, TensorData.ByteSize(t.Tensor)))))
            .OrderByDescending(p => p.Bytes)
            .ToArray();
        return new ModelCost(nodes, parameters);
    }
}
