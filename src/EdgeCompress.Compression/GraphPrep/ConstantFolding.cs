using EdgeCompress.Compression.Passes;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using Google.Protobuf;
using EdgeCompress.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCompress.Compression.GraphPrep;

/// <summary>
/// Replaces every node whose inputs are all constants by initializers holding its outputs, and Constant nodes by
/// initializers. The constant part of the graph is evaluated by ONNX Runtime itself, so every operator it knows is
/// folded exactly as it would run. The quantizer needs this: a weight reached through Transpose, Reshape or a
/// Constant node is only quantizable once it is a plain initializer.
/// </summary>
public sealed class ConstantFolding : ICompressionPass
{
    private static readonly HashSet<string> NonDeterministic = new(StringComparer.Ordinal)
    {
        "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli",
    };

    // Folding a ConstantOfShape, Expand or Tile can blow a few bytes up into a full activation of zeros: a folded
    // value may exceed the constants it is computed from by this much (small shape and index tensors), no more.
    private const long MaxGrowthBytes = 4L << 10;

    /// <inheritdoc />
    public string Name => "fold-constants";

    /// <inheritdoc />
    public PassResult Apply(OnnxModel model, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var output = new OnnxModel(model.Proto.Clone());
        var record = new PassRecord(Name);
        record.Totals["folded"] = Run(output, record);
        return new PassResult(output, record);
    }

    /// <summary>Folds in place; returns the number of nodes replaced by initializers.</summary>
    internal static int Run(OnnxModel model, PassRecord record)
    {
        var graph = model.Graph;
        var folded = ConstantNodesToInitializers(graph);
        var constant = new HashSet<string>(graph.Initializers.Keys.Where(n => graph.Proto.Input.All(i => i.Name != n)), StringComparer.Ordinal);
        var foldable = new List<NodeProto>();
        foreach (var node in graph.TopologicalOrder())
        {
            var inputs = node.Input.Where(i => i.Length > 0).ToList();
            if (inputs.Count > 0 && inputs.All(constant.Contains) && !NonDeterministic.Contains(node.OpType)
                && !ModelWalker.SubgraphsOf(node).Any() && node.Output.All(o => !graph.IsGraphOutput(o)))
            {
                foldable.Add(node);
                constant.UnionWith(node.Output.Where(o => o.Length > 0));
            }
        }
        if (foldable.Count == 0)
        {
            return folded;
        }
        var foldedSet = foldable.ToHashSet(ReferenceEqualityComparer.Instance);
        // Values the rest of the graph reads from the constant part.
        var needed = foldable.SelectMany(n => n.Output)
            .Where(o => o.Length > 0 && graph.Consumers(o).Any(c => !foldedSet.Contains(c)))
            .Distinct(StringComparer.Ordinal).ToList();
        var values = Evaluate(model, foldable, needed, record);
        if (values is null)
        {
            return folded;
        }
        var growing = GrowingValues(graph, foldable, values, record);
        foreach (var node in foldable.Where(n => !growing.Contains(n)))
        {
            graph.RemoveNode(node);
            record.Layers.Add(new LayerRecord(OnnxGraph.NodeLabel(node), node.OpType, "folded to a constant", 0, 0));
        }
        var keptOutputs = growing.SelectMany(n => n.Output).ToHashSet(StringComparer.Ordinal);
        foreach (var t in values.Where(t => !keptOutputs.Contains(t.Name)))
        {
            graph.SetInitializer(t);
        }
        graph.RemoveUnused();
        return folded + foldable.Count - growing.Count;
    }

    /// <summary>The constant nodes to keep: those computing a value that would store more than <see cref="MaxGrowthBytes"/>
    /// beyond the constants it comes from (ConstantOfShape zeros, an Expand or Tile to a full activation shape), with
    /// everything in the constant part that feeds them. A value read only as a Conv/Gemm/MatMul weight may grow (a Cast
    /// of float16 weights): the quantizer needs it as a float initializer and stores it as int8.</summary>
    private static HashSet<NodeProto> GrowingValues(OnnxGraph graph, List<NodeProto> foldable, List<TensorProto> values, PassRecord record)
    {
        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var n in foldable)
        {
            foreach (var o in n.Output.Where(o => o.Length > 0))
            {
                producers[o] = n;
            }
        }
        var keep = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        foreach (var value in values)
        {
            var closure = Ancestors(value.Name, producers);
            var sourceBytes = closure.SelectMany(n => n.Input).Where(graph.Initializers.ContainsKey).Distinct(StringComparer.Ordinal)
                .Sum(i => TensorData.ByteSize(graph.Initializers[i]));
            var bytes = TensorData.ByteSize(value);
            if (bytes <= sourceBytes + MaxGrowthBytes || ReadOnlyAsWeight(graph, value.Name, producers))
            {
                continue;
            }
            keep.UnionWith(closure);
            var node = producers[value.Name];
            record.Layers.Add(new LayerRecord(OnnxGraph.NodeLabel(node), node.OpType,
                $"kept: folding it would store {bytes / 1024.0:F1} KiB computed from {sourceBytes / 1024.0:F1} KiB of constants", 0, 0));
        }
        record.Totals["constants_kept_unfolded"] = keep.Count;
        return keep;
    }

    private static HashSet<NodeProto> Ancestors(string value, Dictionary<string, NodeProto> producers)
    {
        var found = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<string>([value]);
        while (stack.TryPop(out var v))
        {
            if (producers.TryGetValue(v, out var n) && found.Add(n))
            {
                foreach (var i in n.Input.Where(i => i.Length > 0))
                {
                    stack.Push(i);
                }
            }
        }
        return found;
    }

    private static bool ReadOnlyAsWeight(OnnxGraph graph, string value, Dictionary<string, NodeProto> producers)
    {
        var readers = graph.Consumers(value).Where(c => !c.Output.Any(producers.ContainsKey)).ToList();
        return readers.Count > 0 && readers.All(c => (c.Domain ?? "").Length == 0 && c.OpType is "Conv" or "ConvTranspose" or "Gemm" or "MatMul"
            && c.Input.Count > 1 && c.Input[1] == value && c.Input.Count(i => i == value) == 1);
    }

    private static int ConstantNodesToInitializers(OnnxGraph graph)
    {
        var count = 0;
        foreach (var node in graph.Nodes.Where(n => n.OpType == "Constant" && (n.Domain ?? "").Length == 0).ToList())
        {
            var t = node.Find("value")?.T;
            if (t is null || graph.IsGraphOutput(node.Output[0]))
            {
                continue;
            }
            var copy = t.Clone();
            copy.Name = node.Output[0];
            graph.RemoveNode(node);
            graph.SetInitializer(copy);
            count++;
        }
        return count;
    }

    private static List<TensorProto>? Evaluate(OnnxModel model, List<NodeProto> nodes, List<string> needed, PassRecord record)
    {
        if (needed.Count == 0)
        {
            return [];
        }
        var source = model.Graph;
        var g = new GraphProto { Name = "constants" };
        foreach (var name in nodes.SelectMany(n => n.Input).Where(source.Initializers.ContainsKey).Distinct(StringComparer.Ordinal))
        {
            g.Initializer.Add(source.Initializers[name]);
        }
        g.Node.AddRange(nodes.Select(n => n.Clone()));
        foreach (var name in needed)
        {
            g.Output.Add(new ValueInfoProto { Name = name });
        }
        var proto = new ModelProto { IrVersion = Math.Max(model.Proto.IrVersion, 4), Graph = g };
        proto.OpsetImport.AddRange(model.Proto.OpsetImport);
        try
        {
            using var session = OrtSessions.Open(proto.ToByteArray(), SessionSettings.Inspect, "constant subgraph");
            using var run = new RunOptions();
            using var results = OrtSessions.Guard("constant subgraph", "ONNX Runtime failed to run it", () => session.Run(run, Array.Empty<string>(), Array.Empty<OrtValue>(), needed));
            var tensors = new List<TensorProto>(needed.Count);
            for (var i = 0; i < needed.Count; i++)
            {
                var t = ToTensor(needed[i], results[i]);
                if (t is null)
                {
                    record.Warnings.Add($"constant folding skipped: '{needed[i]}' is not a numeric tensor");
                    return null;
                }
                tensors.Add(t);
            }
            return tensors;
        }
        catch (ModelRunException e)
        {
            record.Warnings.Add($"constant folding skipped: ONNX Runtime could not evaluate the constant subgraph ({FirstLine(e.InnerException?.Message ?? e.Message)})");
            return null;
        }
    }

    private static TensorProto? ToTensor(string name, OrtValue value)
    {
        if (!value.IsTensor)
        {
            return null;
        }
        var info = value.GetTensorTypeAndShape();
        var type = (TensorProto.Types.DataType)(int)info.ElementDataType;
        if (type == TensorProto.Types.DataType.String || DataTypes.ElementSize(type) == 0)
        {
            return null;
        }
        var t = new TensorProto { Name = name, DataType = (int)type };
        t.Dims.AddRange(info.Shape);
        t.RawData = ByteString.CopyFrom(value.GetTensorMutableRawData());
        return t;
    }

    private static string FirstLine(string s)
    {
        var i = s.IndexOfAny(['\r', '\n']);
        return i < 0 ? s : s[..i];
    }
}
