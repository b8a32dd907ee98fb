using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Quantization;

/// <summary>Which nodes a static quantization run turns int8, and which tensors get a Q/DQ pair.</summary>
internal sealed class QdqPlan
{
    /// <summary>Compute nodes to quantize, in graph order.</summary>
    public List<NodeProto> Quantized { get; } = [];

    /// <summary>Candidate compute nodes left float, with the reason shown to the user.</summary>
    public List<(NodeProto Node, string Reason)> KeptFloat { get; } = [];

    /// <summary>ReLU/Clip nodes absorbed by the quantized node before them (the Q range starts at 0).</summary>
    public Dictionary<NodeProto, NodeProto> FoldedActivations { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>Activation tensors that get QuantizeLinear -> DequantizeLinear.</summary>
    public HashSet<string> Tensors { get; } = new(StringComparer.Ordinal);

    /// <summary>Tensors after a range-keeping op (MaxPool, Reshape, ...) that reuse their input's scale, so ONNX Runtime
    /// drops the DQ/Q pair around the op and runs it on int8.</summary>
    public Dictionary<string, string> TiedTo { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Decides the QDQ layout: Conv, ConvTranspose, Gemm, MatMul, Add, Mul, Concat and average pools are quantized
/// when their activations are float and calibrated; a ReLU (or Clip from 0) right after one is folded into its
/// output range; range-keeping ops between quantized tensors share their input's parameters; nothing else gets Q/DQ,
/// so no pair is left dangling around a shape-only op.
/// </summary>
internal static class QdqPlanner
{
    public static readonly HashSet<string> ComputeOps = new(StringComparer.Ordinal)
    {
        "Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Mul", "Concat", "AveragePool", "GlobalAveragePool",
    };

    public static readonly HashSet<string> RangeKeepingOps = new(StringComparer.Ordinal)
    {
        "MaxPool", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Resize", "Slice", "Gather", "GlobalMaxPool",
    };

    private static readonly HashSet<string> FoldsActivation = new(StringComparer.Ordinal) { "Conv", "ConvTranspose", "Gemm", "MatMul", "Add" };

    /// <summary>Every tensor calibration should watch: inputs/outputs of candidate nodes and activations after them.</summary>
    public static IEnumerable<string> CalibrationTensors(OnnxGraph graph)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in graph.Nodes.Where(n => IsDefault(n) && (ComputeOps.Contains(n.OpType) || RangeKeepingOps.Contains(n.OpType) || IsReluLike(graph, n))))
        {
            names.UnionWith(n.Input.Take(RangeKeepingOps.Contains(n.OpType) ? 1 : n.Input.Count).Where(i => i.Length > 0 && graph.GetConstant(i) is null));
            if (n.Output.Count > 0 && n.Output[0].Length > 0)
            {
                names.Add(n.Output[0]);
            }
        }
        return names;
    }

    public static QdqPlan Build(OnnxGraph graph, IReadOnlySet<string> calibrated, IReadOnlySet<string> exclude)
    {
        var plan = new QdqPlan();
        foreach (var node in graph.TopologicalOrder().Where(n => IsDefault(n) && ComputeOps.Contains(n.OpType)))
        {
            var why = Ineligible(graph, node, calibrated, exclude);
            if (why is not null)
            {
                plan.KeptFloat.Add((node, why));
                continue;
            }
            plan.Quantized.Add(node);
            foreach (var a in Activations(graph, node))
            {
                plan.Tensors.Add(a);
            }
            var output = node.Output[0];
            var consumers = graph.Consumers(output);
            if (FoldsActivation.Contains(node.OpType) && consumers.Count == 1 && IsReluLike(graph, consumers[0])
                && !graph.IsGraphOutput(output) && !graph.IsGraphOutput(consumers[0].Output[0]) && calibrated.Contains(consumers[0].Output[0]))
            {
                plan.FoldedActivations[node] = consumers[0];
                output = consumers[0].Output[0];
            }
            // A float result at the end of the graph lets ONNX Runtime use its int8-in, float-out MatMul/Gemm kernels.
            if (!(node.OpType is "Gemm" or "MatMul" && graph.IsGraphOutput(output)))
            {
                plan.Tensors.Add(output);
            }
        }
        TieRangeKeepingOps(graph, plan, calibrated);
        return plan;
    }

    private static void TieRangeKeepingOps(OnnxGraph graph, QdqPlan plan, IReadOnlySet<string> calibrated)
    {
        var quantized = plan.Quantized.ToHashSet(ReferenceEqualityComparer.Instance);
        bool changed;
        do
        {
            changed = false;
            foreach (var s in graph.Nodes.Where(n => IsDefault(n) && RangeKeepingOps.Contains(n.OpType) && n.Input.Count > 0 && n.Output.Count > 0))
            {
                var x = s.Input[0];
                var y = s.Output[0];
                if (!plan.Tensors.Contains(x) || plan.TiedTo.ContainsKey(y) || !calibrated.Contains(y) || graph.IsGraphOutput(y))
                {
                    continue;
                }
                // Quantize y when something int8 reads it anyway, or when it only feeds more int8-capable nodes.
                var readers = graph.Consumers(y);
                if (plan.Tensors.Contains(y) || (readers.Count > 0 && readers.All(r => quantized.Contains(r) || (IsDefault(r) && RangeKeepingOps.Contains(r.OpType)))))
                {
                    plan.Tensors.Add(y);
                    plan.TiedTo[y] = x;
                    changed = true;
                }
            }
        }
        while (changed);
    }

    /// <summary>Non-constant inputs of a node that carry data (shape inputs of Reshape etc. are not included).</summary>
    public static IEnumerable<string> Activations(OnnxGraph graph, NodeProto node)
    {
        var count = node.OpType is "Conv" or "ConvTranspose" or "Gemm" ? 1 : node.Input.Count;
        return node.Input.Take(count).Where(i => i.Length > 0 && graph.GetConstant(i) is null);
    }

    private static string? Ineligible(OnnxGraph graph, NodeProto node, IReadOnlySet<string> calibrated, IReadOnlySet<string> exclude)
    {
        if (exclude.Contains(node.Name) || exclude.Contains(OnnxGraph.NodeLabel(node)))
        {
            return "excluded";
        }
        var activations = Activations(graph, node).ToList();
        if (activations.Count == 0)
        {
            return "no activation input";
        }
        if (activations.Any(a => !calibrated.Contains(a)) || !calibrated.Contains(node.Output[0]))
        {
            return "not float32 or not reached by calibration";
        }
        var constants = node.Input.Where(i => i.Length > 0 && graph.GetConstant(i) is not null).Select(i => graph.GetConstant(i)!).ToList();
        if (constants.Any(c => TensorData.TypeOf(c) != TensorProto.Types.DataType.Float))
        {
            return "constant input is not float32";
        }
        switch (node.OpType)
        {
            case "Conv" or "ConvTranspose" when graph.GetConstant(node.Input[1]) is null:
                return "weight is not a constant";
            case "Gemm" when node.Input.Count < 2 || graph.GetConstant(node.Input[1]) is not { Dims.Count: 2 }:
                return "weight is not a 2-D constant";
            case "Concat" when constants.Count > 0:
                return "constant input";
            case "Add" or "Mul" when constants.Count > 0:
                // Scaling or shifting by a constant (input normalisation, folded BN leftovers) gains nothing in int8:
                // ONNX Runtime leaves it as DQ -> float op -> Q, which only adds work.
                return "elementwise with a constant: float is as fast";
            default:
                return null;
        }
    }

    public static bool IsReluLike(OnnxGraph graph, NodeProto node)
    {
        if (!IsDefault(node))
        {
            return false;
        }
        if (node.OpType == "Relu")
        {
            return true;
        }
        if (node.OpType != "Clip")
        {
            return false;
        }
        // Clip from 0 (ReLU6 and friends): min as attribute before opset 11, as an input after.
        if (node.Find("min") is { } a)
        {
            return a.F == 0;
        }
        return node.Input.Count > 1 && node.Input[1].Length > 0 && graph.GetConstant(node.Input[1]) is { } t
            && TensorData.ToFloats(t) is [0f];
    }

    private static bool IsDefault(NodeProto n) => (n.Domain ?? "").Length == 0 || n.Domain == "ai.onnx";
}
