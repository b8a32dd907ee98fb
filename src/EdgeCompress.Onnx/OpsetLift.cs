using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Onnx;

/// <summary>What <see cref="OpsetLift.Run"/> did.</summary>
/// <param name="Lifted">True when the model's default-domain opset was raised to <see cref="OpsetLift.TargetOpset"/>.</param>
/// <param name="FromOpset">The model's opset before.</param>
/// <param name="Outcome">One line saying what happened and why (null when nothing was needed).</param>
public sealed record OpsetLiftOutcome(bool Lifted, long FromOpset, string? Outcome);

/// <summary>
/// Lifts a model's default-domain opset to 13 where int8 needs it: below opset 10 there are no int8 operators (ONNX
/// Runtime fuses Q/DQ groups into QLinearConv and friends whatever the model's opset, and a fused opset-6 model fails
/// to load), and per-channel weights need DequantizeLinear's axis, which standard ONNX has from opset 13 only. Only
/// operators whose meaning is known to carry over are lifted, with the rewrites <see cref="OpsetLiftRules"/> lists.
/// A model that cannot be lifted is refused below opset 10, and at 10-12 keeps its opset (and gets per-tensor weights).
/// Used by static quantization and by the training worker's QDQ export alike.
/// </summary>
public static class OpsetLift
{
    /// <summary>The opset models are lifted to: the first with per-axis DequantizeLinear.</summary>
    public const int TargetOpset = 13;

    /// <summary>The first opset with QuantizeLinear/DequantizeLinear.</summary>
    public const int MinInt8Opset = 10;

    /// <summary>Lifts <paramref name="model"/> in place when every operator allows it and, with
    /// <paramref name="onlyWhenNeeded"/>, int8 needs it (per-channel weights when <paramref name="perChannel"/>).</summary>
    /// <exception cref="OnnxFormatException">The model is below opset 10 and an operator cannot be lifted.</exception>
    public static OpsetLiftOutcome Run(OnnxModel model, bool perChannel, bool onlyWhenNeeded = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        var opset = model.OpsetVersion() ?? 1;
        var graph = model.Graph;
        var needed = opset < MinInt8Opset || (perChannel && HasChannelWeights(graph)) || !onlyWhenNeeded;
        if (opset >= TargetOpset || !needed)
        {
            return new OpsetLiftOutcome(false, opset, null);
        }
        var blocker = opset < 6 ? null : graph.Nodes.Where(IsDefault).Select(n => (Node: n, Why: OpsetLiftRules.Blocker(n, opset))).FirstOrDefault(b => b.Why is not null).Node;
        if (opset < 6 || blocker is not null)
        {
            var what = blocker is null ? "operators that old" : $"{blocker.OpType} node '{OnnxGraph.NodeLabel(blocker)}' ({OpsetLiftRules.Blocker(blocker, opset)})";
            if (opset < MinInt8Opset)
            {
                throw new OnnxFormatException(
                    $"opset {opset} model: int8 operators need opset {MinInt8Opset}+, and {what} cannot be lifted to opset {TargetOpset}; re-export the model at opset 13 or later");
            }
            return new OpsetLiftOutcome(false, opset, $"per-tensor weights: opset {opset} model has {what}, which cannot be lifted to opset {TargetOpset}, where per-channel weights start");
        }
        var shapes = graph.Nodes.Any(n => IsDefault(n) && n.OpType is "Softmax" or "LogSoftmax" or "Hardmax") ? ShapeInference.Infer(model) : null;
        foreach (var node in graph.Nodes.Where(IsDefault).ToList())
        {
            OpsetLiftRules.Rewrite(graph, node, opset, v => shapes?.TypeOf(v)?.Rank ?? -1);
        }
        foreach (var o in model.Proto.OpsetImport.Where(o => (o.Domain ?? "").Length == 0 || o.Domain == "ai.onnx"))
        {
            o.Version = TargetOpset;
        }
        // Opset 13 belongs to IR version 7 (ONNX 1.8).
        model.Proto.IrVersion = Math.Max(model.Proto.IrVersion, 7);
        graph.SortTopologically();
        return new OpsetLiftOutcome(true, opset, opset < MinInt8Opset
            ? $"opset {opset} -> {TargetOpset}: int8 operators need opset {MinInt8Opset} or later"
            : $"opset {opset} -> {TargetOpset} so per-channel weights are allowed");
    }

    /// <summary>Whether any weight could get per-channel scales (the quantizer's Conv/ConvTranspose/Gemm/MatMul).</summary>
    private static bool HasChannelWeights(OnnxGraph graph) =>
        graph.Nodes.Any(n => IsDefault(n) && n.OpType is "Conv" or "ConvTranspose" or "Gemm" or "MatMul" && n.Input.Count > 1 && graph.GetConstant(n.Input[1]) is not null);

    private static bool IsDefault(NodeProto n) => (n.Domain ?? "").Length == 0 || n.Domain == "ai.onnx";
}
