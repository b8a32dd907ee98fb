using EdgeCompress.Compression.Passes;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.GraphPrep;

/// <summary>
/// Lifts a model below opset 10 to opset 11, the first where ONNX Runtime's int8 kernels (QLinearConv, ...) exist:
/// ONNX Runtime fuses Q/DQ groups into those kernels whatever the model's opset, and a fused opset-6 model then
/// fails to load. Only operators whose meaning is unchanged up to opset 11 are accepted; the attributes that became
/// inputs or were dropped (Clip min/max, Pad pads, Slice starts/ends, broadcast, is_test, spatial) are rewritten.
/// Anything else is refused with the operator named, rather than silently changed.
/// </summary>
public sealed class OpsetUpgrade : ICompressionPass
{
    /// <summary>The opset models are lifted to.</summary>
    public const int TargetOpset = 11;

    private static readonly HashSet<string> Unchanged = new(StringComparer.Ordinal)
    {
        "Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu", "PRelu", "Elu", "Selu",
        "Sigmoid", "Tanh", "HardSigmoid", "Softplus", "Softsign", "Softmax", "LogSoftmax", "BatchNormalization",
        "InstanceNormalization", "LRN", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Flatten", "Reshape",
        "Transpose", "Concat", "Split", "Squeeze", "Unsqueeze", "Gather", "Shape", "Constant", "Identity", "Dropout", "Cast",
        "Sum", "Max", "Min", "Mean", "Exp", "Log", "Sqrt", "Abs", "Neg", "Reciprocal", "Pow", "Clip", "Pad", "Slice",
        "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "Floor", "Ceil", "Tile", "Expand",
    };

    /// <inheritdoc />
    public string Name => "upgrade-opset";

    /// <inheritdoc />
    public PassResult Apply(OnnxModel model, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var output = new OnnxModel(model.Proto.Clone(), null);
        var record = new PassRecord(Name);
        Run(output, record);
        return new PassResult(output, record);
    }

    /// <summary>Upgrades in place when the default-domain opset is below 10; returns true when it did.</summary>
    /// <exception cref="OnnxFormatException">An operator cannot be carried to opset 11 unchanged.</exception>
    internal static bool Run(OnnxModel model, PassRecord record)
    {
        var opset = model.OpsetVersion() ?? 1;
        if (opset >= 10)
        {
            return false;
        }
        var graph = model.Graph;
        var blocker = graph.Nodes.FirstOrDefault(n => (n.Domain ?? "").Length == 0 && (!Unchanged.Contains(n.OpType) || Incompatible(n)));
        if (opset < 6 || blocker is not null)
        {
            var what = blocker is null ? "operators that old" : $"{blocker.OpType} node '{OnnxGraph.NodeLabel(blocker)}'";
            throw new OnnxFormatException(
                $"opset {opset} model: int8 operators need opset 10+, and {what} cannot be carried to opset {TargetOpset} unchanged; re-export the model at opset 13 or later");
        }
        foreach (var node in graph.Nodes.Where(n => (n.Domain ?? "").Length == 0).ToList())
        {
            node.RemoveAttribute("broadcast");
            node.RemoveAttribute("is_test");
            node.RemoveAttribute("consumed_inputs");
            node.RemoveAttribute("spatial");
            switch (node.OpType)
            {
                case "Clip":
                    MoveToInputs(graph, node, [("min", Scalar(node, "min", float.MinValue)), ("max", Scalar(node, "max", float.MaxValue))]);
                    break;
                case "Pad":
                    var pads = node.GetInts("pads") ?? node.GetInts("paddings") ?? [];
                    var value = node.GetFloat("value", 0f);
                    node.RemoveAttribute("pads");
                    node.RemoveAttribute("paddings");
                    node.RemoveAttribute("value");
                    MoveToInputs(graph, node, [("pads", TensorData.FromInt64s("", [pads.Length], pads)), ("value", TensorData.FromFloats("", [], [value]))]);
                    break;
                case "Slice":
                    var starts = node.GetInts("starts") ?? [];
                    var ends = node.GetInts("ends") ?? [];
                    var axes = node.GetInts("axes") ?? Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
                    foreach (var a in new[] { "starts", "ends", "axes" })
                    {
                        node.RemoveAttribute(a);
                    }
                    MoveToInputs(graph, node, [("starts", TensorData.FromInt64s("", [starts.Length], starts)),
                        ("ends", TensorData.FromInt64s("", [ends.Length], ends)), ("axes", TensorData.FromInt64s("", [axes.Length], axes))]);
                    break;
                default:
                    break;
            }
        }
        foreach (var o in model.Proto.OpsetImport.Where(o => (o.Domain ?? "").Length == 0 || o.Domain == "ai.onnx"))
        {
            o.Version = TargetOpset;
        }
        model.Proto.IrVersion = Math.Max(model.Proto.IrVersion, 6);
        graph.Invalidate();
        record.Warnings.Add($"opset {opset} is older than int8 operators; the model was lifted to opset {TargetOpset}");
        return true;
    }

    // Attributes whose opset-11 meaning differs in a way no rewrite here covers.
    private static bool Incompatible(NodeProto n) =>
        (n.Find("broadcast") is not null && n.Find("axis") is not null && n.OpType is "Add" or "Sub" or "Mul" or "Div" or "Pow" or "PRelu")
        || (n.OpType == "BatchNormalization" && n.GetInt("spatial", 1) == 0)
        || (n.OpType == "Clip" && n.Input.Count > 1);

    private static TensorProto Scalar(NodeProto node, string attribute, float fallback)
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
            graph.Proto.Initializer.Add(value);
            node.Input.Add(value.Name);
        }
    }
}
