using EdgeCompress.Compression.Passes;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.GraphPrep;

/// <summary>
/// Drops Identity nodes and inference-mode Dropout nodes, so a quantizer sees Conv feeding Relu directly (ONNX
/// Runtime fuses only adjacent nodes). Graph output names never change: when the removed node wrote a graph output,
/// its producer is renamed to write that output instead.
/// </summary>
public sealed class IdentityRemoval : ICompressionPass
{
    /// <inheritdoc />
    public string Name => "remove-identity";

    /// <inheritdoc />
    public PassResult Apply(OnnxModel model, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var output = new OnnxModel(model.Proto.Clone());
        var record = new PassRecord(Name);
        var removed = Run(output.Graph, record);
        record.Totals["nodes_removed"] = removed;
        return new PassResult(output, record);
    }

    /// <summary>Removes the pass-through nodes in place and returns how many went.</summary>
    internal static int Run(OnnxGraph graph, PassRecord record)
    {
        var removed = 0;
        foreach (var node in graph.Nodes.ToList())
        {
            if (!IsPassThrough(graph, node))
            {
                continue;
            }
            var from = node.Output[0];
            var to = node.Input[0];
            if (graph.IsGraphOutput(from))
            {
                // Keep the output's name: let the producer write it, if nothing else sees the old name.
                var producer = graph.Producer(to);
                if (producer is null || graph.IsGraphOutput(to) || graph.Consumers(to).Count != 1 || graph.Proto.Input.Any(i => i.Name == to))
                {
                    continue;
                }
                graph.RemoveNode(node);
                graph.RenameValue(to, from);
            }
            else
            {
                graph.RemoveNode(node);
                graph.ReplaceAllUses(from, to);
            }
            record.Layers.Add(new LayerRecord(OnnxGraph.NodeLabel(node), node.OpType, "removed", 0, 0));
            removed++;
        }
        return removed;
    }

    private static bool IsPassThrough(OnnxGraph graph, NodeProto node)
    {
        if ((node.Domain ?? "").Length != 0 || node.Input.Count == 0 || node.Input[0].Length == 0 || node.Output.Count == 0)
        {
            return false;
        }
        if (node.OpType == "Identity")
        {
            return true;
        }
        if (node.OpType != "Dropout")
        {
            return false;
        }
        // A Dropout whose mask is read, or that is told to train, is not a pass-through.
        var maskUsed = node.Output.Count > 1 && node.Output[1].Length > 0
            && (graph.Consumers(node.Output[1]).Count > 0 || graph.IsGraphOutput(node.Output[1]));
        var training = node.Input.Count > 2 && node.Input[2].Length > 0
            && (graph.GetConstant(node.Input[2]) is not { } t || TensorData.ToInt64s(t).Any(v => v != 0));
        return !maskUsed && !training;
    }
}
