using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Pruning;

/// <summary>
/// Gives each layer its own copy of the small constants exporters share between layers, so channel pruning can
/// slice them per layer. PyTorch's exporter (1.13 and later) merges parameters whose values are bit-identical, such
/// as the all-zero biases of freshly initialised or bias-free layers and the all-one scales of norms, into one
/// initializer, reached directly or through an Identity node; pruning then refused every such layer as "weights
/// shared with another node" (every group of SqueezeNet and MobileNetV3's squeeze-excite blocks). Copies are made
/// only of Identity-wrapped constants and of constants of rank 0 or 1 (biases, scales), so a genuinely tied weight
/// matrix stays shared and stays refused.
/// </summary>
internal static class SharedConstantSplitting
{
    /// <summary>Splits in place; returns how many copies were made.</summary>
    public static int Run(OnnxGraph graph)
    {
        var copies = 0;
        foreach (var node in graph.Nodes.ToList())
        {
            if (node.OpType != "Identity" || (node.Domain ?? "").Length != 0 || node.Input.Count != 1
                || graph.IsGraphOutput(node.Output[0]) || !graph.Initializers.TryGetValue(node.Input[0], out var source)
                || graph.Proto.Input.Any(i => i.Name == node.Input[0]))
            {
                continue;
            }
            var copy = source.Clone();
            copy.Name = node.Output[0];
            graph.RemoveNode(node);
            graph.SetInitializer(copy);
            copies++;
        }
        foreach (var (name, tensor) in graph.Initializers.ToList())
        {
            if (tensor.Dims.Count > 1 || graph.IsGraphOutput(name) || graph.Proto.Input.Any(i => i.Name == name))
            {
                continue;
            }
            var readers = graph.Consumers(name);
            foreach (var reader in readers.Skip(1).ToList())
            {
                var copy = tensor.Clone();
                copy.Name = graph.UniqueName(name + "_copy");
                graph.SetInitializer(copy);
                graph.ReplaceInput(reader, name, copy.Name);
                copies++;
            }
        }
        graph.RemoveUnused();
        return copies;
    }
}
