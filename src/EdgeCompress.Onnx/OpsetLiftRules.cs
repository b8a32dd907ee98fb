using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Onnx;

/// <summary>
/// Which default-domain operators keep their meaning when a model from opset 6-12 is declared opset 13, and the
/// rewrites that carry the rest over (ONNX operator changelog): Clip min/max and Pad pads/value became inputs at 11,
/// Slice starts/ends/axes at 10, Squeeze/Unsqueeze axes, Split split and ReduceSum axes at 13; Softmax, LogSoftmax
/// and Hardmax stopped flattening their input to 2-D at 13; broadcast, is_test, consumed_inputs and spatial were
/// dropped by 9. Everything not listed here is refused, so nothing is lifted on a guess.
/// </summary>
internal static class OpsetLiftRules
{
    private static readonly HashSet<string> SinceSix = new(StringComparer.Ordinal)
    {
        "Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu", "PRelu", "Elu", "Selu",
        "Sigmoid", "Tanh", "HardSigmoid", "Softplus", "Softsign", "Softmax", "LogSoftmax", "Hardmax", "BatchNormalization",
        "InstanceNormalization", "LRN", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Flatten", "Reshape",
        "Transpose", "Concat", "Split", "Squeeze", "Unsqueeze", "Gather", "Shape", "Size", "Constant", "Identity", "Dropout", "Cast",
        "Sum", "Max", "Min", "Mean", "Exp", "Log", "Sqrt", "Abs", "Neg", "Reciprocal", "Pow", "Clip", "Pad", "Slice",
        "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSumExp", "ReduceSumSquare",
        "Floor", "Ceil", "Tile", "Expand",
    };

    // Operators that exist only from the opset given and are unchanged in meaning up to 13.
    private static readonly Dictionary<string, int> Later = new(StringComparer.Ordinal)
    {
        ["ConstantOfShape"] = 9, ["Where"] = 9, ["Equal"] = 7, ["Greater"] = 7, ["Less"] = 7, ["Not"] = 1, ["And"] = 7, ["Or"] = 7,
        ["Erf"] = 9, ["Sign"] = 9, ["Sin"] = 7, ["Cos"] = 7, ["ArgMax"] = 1, ["ArgMin"] = 1, ["TopK"] = 10, ["Mod"] = 10,
        ["IsNaN"] = 9, ["IsInf"] = 10, ["NonZero"] = 9, ["DepthToSpace"] = 1, ["SpaceToDepth"] = 1, ["MeanVarianceNormalization"] = 9,
        ["LpNormalization"] = 1, ["ThresholdedRelu"] = 10, ["Range"] = 11, ["Round"] = 11, ["CumSum"] = 11, ["GatherElements"] = 11,
        ["GatherND"] = 11, ["ScatterND"] = 11, ["ScatterElements"] = 11, ["OneHot"] = 11, ["Resize"] = 11, ["Einsum"] = 12,
        ["Celu"] = 12, ["GreaterOrEqual"] = 12, ["LessOrEqual"] = 12, ["LSTM"] = 7, ["GRU"] = 7, ["RNN"] = 7,
    };

    /// <summary>Why <paramref name="node"/> (default domain) cannot be carried from <paramref name="opset"/> to 13, or null.</summary>
    public static string? Blocker(NodeProto node, long opset)
    {
        if (ModelWalker.SubgraphsOf(node).Any())
        {
            return "its subgraphs would need lifting too";
        }
        if (!SinceSix.Contains(node.OpType) && !(Later.TryGetValue(node.OpType, out var since) && opset >= since))
        {
            return $"{node.OpType} is not on the list of operators known to keep their meaning up to opset 13";
        }
        if (node.Find("broadcast") is not null && node.Find("axis") is not null && node.OpType is "Add" or "Sub" or "Mul" or "Div" or "Pow" or "PRelu")
        {
            return "broadcast along an axis has no opset-13 form";
        }
        if (node.OpType == "BatchNormalization" && node.GetInt("spatial", 1) == 0)
        {
            return "spatial=0 has no opset-13 form";
        }
        if (node.OpType == "Clip" && opset < 11 && node.Input.Count > 1)
        {
            return "Clip with inputs before opset 11 is not a known form";
        }
        if (node.OpType == "Resize" && node.GetString("coordinate_transformation_mode", "half_pixel") == "tf_half_pixel_for_nn")
        {
            return "coordinate_transformation_mode tf_half_pixel_for_nn was removed at opset 13";
        }
        return null;
    }

    /// <summary>Rewrites <paramref name="node"/> into its opset-13 form; <paramref name="rankOf"/> gives a value's rank or -1.</summary>
    public static void Rewrite(OnnxGraph graph, NodeProto node, long opset, Func<string, int> rankOf)
    {
        foreach (var dropped in new[] { "broadcast", "is_test", "consumed_inputs", "spatial" })
        {
            node.RemoveAttribute(dropped);
        }
        switch (node.OpType)
        {
            case "Clip" when opset < 11:
                MoveToInputs(graph, node, [("min", FloatScalar(node, "min", float.MinValue)), ("max", FloatScalar(node, "max", float.MaxValue))]);
                break;
            case "Pad" when opset < 11:
                var pads = node.GetInts("pads") ?? node.GetInts("paddings") ?? [];
                var value = node.GetFloat("value", 0f);
                foreach (var a in new[] { "pads", "paddings", "value" })
                {
                    node.RemoveAttribute(a);
                }
                MoveToInputs(graph, node, [("pads", Int64s(pads)), ("value", TensorData.FromFloats("", [], [value]))]);
                break;
            case "Slice" when opset < 10:
                var starts = node.GetInts("starts") ?? [];
                var ends = node.GetInts("ends") ?? [];
                var axes = node.GetInts("axes") ?? Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
                foreach (var a in new[] { "starts", "ends", "axes" })
                {
                    node.RemoveAttribute(a);
                }
                MoveToInputs(graph, node, [("starts", Int64s(starts)), ("ends", Int64s(ends)), ("axes", Int64s(axes))]);
                break;
            case "Squeeze" or "Unsqueeze" or "ReduceSum":
                AttributeToInput(graph, node, "axes", 1);
                break;
            case "Split":
                AttributeToInput(graph, node, "split", 1);
                break;
            case "Dropout":
                // Inference ignores the ratio; from opset 12 it would be an input.
                node.RemoveAttribute("ratio");
                break;
            case "Softmax" or "LogSoftmax" or "Hardmax":
                LiftSoftmax(graph, node, rankOf);
                break;
            default:
                break;
        }
    }

    /// <summary>Before 13 these ops flatten the input to 2-D at <c>axis</c> (default 1) and normalise each row; from 13
    /// they work along one axis (default -1). Same thing when the axis is the last one; otherwise flatten explicitly.</summary>
    private static void LiftSoftmax(OnnxGraph graph, NodeProto node, Func<string, int> rankOf)
    {
        var axis = node.GetInt("axis", 1);
        var rank = rankOf(node.Input[0]);
        node.SetInt("axis", -1);
        if (axis == -1 || (rank > 0 && axis == rank - 1))
        {
            return;
        }
        var label = OnnxGraph.NodeLabel(node);
        var x = node.Input[0];
        var y = node.Output[0];
        var shape = graph.UniqueName(label + "_shape");
        var flat = graph.UniqueName(label + "_2d");
        var rows = graph.UniqueName(label + "_rows");
        var flatten = NodeAttributes.Create("Flatten", graph.UniqueName(label + "_flatten"), [x], [flat]);
        flatten.SetInt("axis", axis);
        graph.SetInput(node, 0, flat);
        graph.SetOutput(node, 0, rows);
        graph.AddNode(NodeAttributes.Create("Shape", graph.UniqueName(label + "_shape_of"), [x], [shape]));
        graph.AddNode(flatten);
        graph.AddNode(NodeAttributes.Create("Reshape", graph.UniqueName(label + "_reshape"), [rows, shape], [y]));
    }

    private static void AttributeToInput(OnnxGraph graph, NodeProto node, string attribute, int index)
    {
        var values = node.GetInts(attribute);
        node.RemoveAttribute(attribute);
        if (values is null)
        {
            return;
        }
        var t = Int64s(values);
        t.Name = graph.UniqueName($"{OnnxGraph.NodeLabel(node)}_{attribute}");
        graph.SetInitializer(t);
        graph.AddInput(node, t.Name, index);
    }

    private static TensorProto Int64s(long[] values) => TensorData.FromInt64s("", [values.Length], values);

    private static TensorProto FloatScalar(NodeProto node, string attribute, float fallback)
    {
        var v = node.GetFloat(attribute, fallback);
        node.RemoveAttribute(attribute);
        return TensorData.FromFloats("", [], [v]);
    }

    private static void MoveToInputs(OnnxGraph graph, NodeProto node, (string Suffix, TensorProto Value)[] inputs)
    {
        foreach (var (suffix, value) in inputs)
        {
            value.Name = graph.UniqueName($"{OnnxGraph.NodeLabel(node)}_{suffix}");
            graph.SetInitializer(value);
            graph.AddInput(node, value.Name);
        }
    }
}
