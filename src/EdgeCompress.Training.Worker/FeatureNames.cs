using System.Globalization;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Training.Worker;

/// <summary>
/// Tensor names for --feature: checks that a name is a node output of a graph, and when it is not, says which names
/// would do. Users rarely know the names an exporter (or --arch) gave the activations, so the error is the index.
/// </summary>
internal static class FeatureNames
{
    /// <summary>Operators whose outputs make good hints: activations, residual sums, pooled maps.</summary>
    private static readonly HashSet<string> Activations = new(StringComparer.Ordinal)
    {
        "Relu", "Clip", "LeakyRelu", "PRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Add", "MaxPool", "GlobalAveragePool", "Concat",
    };

    /// <summary>Shown at most, spread evenly from the input side to the output side.</summary>
    private const int MaxCandidates = 8;

    /// <summary>
    /// Throws an input error naming <paramref name="label"/> (the model), the missing tensor and a few candidates
    /// with their shapes (from <paramref name="shapesOf"/>, best effort) unless <paramref name="name"/> is produced
    /// by a node of <paramref name="model"/>.
    /// </summary>
    public static void Require(ModelProto model, string label, string name, FeaturePair pair, Func<IReadOnlyList<string>, Dictionary<string, long[]>> shapesOf)
    {
        var graph = model.Graph;
        if (graph.Node.Any(n => n.Output.Contains(name)))
        {
            return;
        }
        var candidates = Candidates(graph);
        Dictionary<string, long[]> shapes;
        try
        {
            shapes = shapesOf(candidates);
        }
        catch (TrainingInputException)
        {
            shapes = [];
        }
        var listed = string.Join(", ", candidates.Select(c => shapes.TryGetValue(c, out var d) ? $"{c} ({Format(d)})" : c));
        var why = graph.Initializer.Any(i => i.Name == name) ? $"'{name}' is a weight, not an activation" : $"no tensor '{name}'";
        var total = graph.Node.Sum(n => n.Output.Count(o => o.Length > 0));
        throw new TrainingInputException(string.Create(CultureInfo.InvariantCulture,
            $"--feature {pair}: {label} has {why}; activations to choose from: {listed} ({total} node outputs in all)"));
    }

    /// <summary>Outputs of activation-like nodes in graph order (conv/BN/linear outputs when there are few), thinned to a handful.</summary>
    public static IReadOnlyList<string> Candidates(GraphProto graph)
    {
        var all = graph.Node.Where(n => Activations.Contains(n.OpType)).Select(n => n.Output[0]).ToList();
        if (all.Count < 3)
        {
            all = [.. graph.Node.Where(n => Activations.Contains(n.OpType) || n.OpType is "Conv" or "BatchNormalization" or "Gemm" or "MatMul").Select(n => n.Output[0])];
        }
        if (all.Count <= MaxCandidates)
        {
            return all;
        }
        return [.. Enumerable.Range(0, MaxCandidates).Select(i => all[(int)Math.Round(i * (all.Count - 1) / (double)(MaxCandidates - 1))])];
    }

    /// <summary>A shape with the batch axis as N: "Nx64x14x14".</summary>
    public static string Format(long[] dims) =>
        dims.Length == 0 ? "a scalar" : "N" + string.Concat(dims.Skip(1).Select(d => "x" + d.ToString(CultureInfo.InvariantCulture)));
}
