using System.Globalization;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Onnx;

/// <summary>The types and shapes shape inference found, by value name (all graphs, subgraphs included).</summary>
public sealed class ShapeInferenceResult
{
    internal ShapeInferenceResult(InferenceState state)
    {
        Types = state.Types;
        Values = state.Values;
        Notes = state.Notes;
    }

    /// <summary>Element type and dims of every value whose type is known.</summary>
    public IReadOnlyDictionary<string, TensorType> Types { get; }

    /// <summary>Folded contents of small integer values (constants and shape computations such as Shape→Gather→Concat).</summary>
    public IReadOnlyDictionary<string, Dim[]> Values { get; }

    /// <summary>Why some shapes stayed unknown (operators with no rule, rules that could not apply), one line each.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>The type of a value, or null when unknown.</summary>
    public TensorType? TypeOf(string name) => Types.GetValueOrDefault(name);
}

/// <summary>
/// Static shape inference over an ONNX model: propagates element types and dims from graph inputs and
/// initializers through every node in topological order, folding small integer computations (Shape, Gather,
/// Concat, arithmetic) so Reshape/Expand/Resize targets computed in the graph resolve. Shapes stored in the
/// graph's value_info and outputs fill in what the rules leave unknown. User-given input shapes override
/// dynamic dims.
/// </summary>
public static class ShapeInference
{
    private static readonly Dictionary<string, Action<NodeContext>> Rules = BuildRules();
    private static readonly Dictionary<string, Action<NodeContext>> MsRules = MicrosoftRules.Build(Rules);

    private static Dictionary<string, Action<NodeContext>> BuildRules()
    {
        var rules = new Dictionary<string, Action<NodeContext>>(StringComparer.Ordinal);
        ElementwiseRules.Register(rules);
        ConvPoolRules.Register(rules);
        MatrixRules.Register(rules);
        LayoutRules.Register(rules);
        ShapeValueRules.Register(rules);
        ReduceResizeRules.Register(rules);
        SlicePadRules.Register(rules);
        MiscRules.Register(rules);
        return rules;
    }

    /// <summary>The operator types (default domain) that have an inference rule.</summary>
    public static IReadOnlyCollection<string> SupportedOperators => Rules.Keys;

    /// <summary>
    /// Infers types and shapes. <paramref name="inputShapes"/> replaces the declared dims of the named graph
    /// inputs (e.g. to fix a dynamic batch size).
    /// </summary>
    /// <exception cref="ArgumentException">An input shape names no graph input, has the wrong rank, or is not positive.</exception>
    public static ShapeInferenceResult Infer(OnnxModel model, IReadOnlyDictionary<string, long[]>? inputShapes = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var state = new InferenceState();
        var graph = model.Graph;
        CheckOverrides(graph, inputShapes);
        var opset = model.OpsetVersion() ?? 1;
        foreach (var input in graph.Proto.Input)
        {
            var declared = TensorType.FromValueInfo(input);
            if (inputShapes is not null && inputShapes.TryGetValue(input.Name, out var dims))
            {
                declared = new TensorType(declared?.ElementType ?? TensorProto.Types.DataType.Float, dims.Select(Dim.Of).ToArray());
            }
            if (declared is not null)
            {
                state.Types[input.Name] = declared;
            }
        }
        InferGraph(graph.Proto, opset, state, isMain: true);
        return new ShapeInferenceResult(state);
    }

    private static void CheckOverrides(OnnxGraph graph, IReadOnlyDictionary<string, long[]>? inputShapes)
    {
        if (inputShapes is null)
        {
            return;
        }
        foreach (var (name, dims) in inputShapes)
        {
            var input = graph.RealInputs.FirstOrDefault(i => i.Name == name)
                ?? throw new InputException($"input shape for '{name}': the model has no such input (inputs: {string.Join(", ", graph.RealInputs.Select(i => i.Name))})");
            if (dims.Any(d => d <= 0))
            {
                throw new InputException($"input shape for '{name}': dims must be positive, got {string.Join("x", dims)}");
            }
            var declared = TensorType.FromValueInfo(input);
            if (declared?.Dims is { } d && d.Count != dims.Length)
            {
                throw new InputException(string.Create(CultureInfo.InvariantCulture,
                    $"input shape for '{name}': the model declares rank {d.Count} ({declared.ShapeText()}), the given shape has rank {dims.Length}"));
            }
            if (declared?.Dims is { } dd && dd.Select((x, i) => x.IsKnown && x.Value != dims[i]).Any(b => b))
            {
                throw new InputException($"input shape for '{name}': the model fixes {declared.ShapeText()}, which {string.Join("x", dims)} contradicts");
            }
        }
    }

    private static void InferGraph(GraphProto graph, long opset, InferenceState state, bool isMain)
    {
        var stored = new Dictionary<string, TensorType>(StringComparer.Ordinal);
        foreach (var v in graph.ValueInfo.Concat(graph.Output))
        {
            if (TensorType.FromValueInfo(v) is { } t)
            {
                stored[v.Name] = t;
            }
        }
        if (!isMain)
        {
            foreach (var input in graph.Input)
            {
                if (!state.Types.ContainsKey(input.Name) && TensorType.FromValueInfo(input) is { } t)
                {
                    state.Types[input.Name] = t;
                }
            }
        }
        foreach (var init in graph.Initializer)
        {
            // Old exporters also list weights as graph inputs; the initializer is what runs unless overridden,
            // and its values are what shape computations (Reshape targets) were exported with.
            state.AddConstant(init.Name, init);
        }

        IEnumerable<NodeProto> order;
        try
        {
            order = new OnnxGraph(graph).TopologicalOrder();
        }
        catch (OnnxFormatException e)
        {
            state.Notes.Add($"{e.Message}; shapes follow the stored node order");
            order = graph.Node;
        }
        foreach (var node in order)
        {
            InferNode(node, opset, state);
            foreach (var o in node.Output)
            {
                if (o.Length > 0 && stored.TryGetValue(o, out var s))
                {
                    state.Types[o] = TensorType.Merge(state.Types.GetValueOrDefault(o), s)!;
                }
            }
        }
        foreach (var (name, t) in stored)
        {
            if (!state.Types.ContainsKey(name))
            {
                state.Types[name] = t;
            }
        }
    }

    private static void InferNode(NodeProto node, long opset, InferenceState state)
    {
        var domain = node.Domain ?? "";
        var ctx = new NodeContext(node, opset, state);
        if (node.OpType is "If" or "Loop" or "Scan" && domain.Length == 0)
        {
            ControlFlowRules.Infer(ctx, state, (g, s) => InferGraph(g, opset, s, isMain: false));
            return;
        }
        var rules = domain is "" or "ai.onnx" ? Rules : domain == "com.microsoft" ? MsRules : null;
        if (rules is null || !rules.TryGetValue(node.OpType, out var rule))
        {
            state.Notes.Add($"no shape rule for {(domain.Length > 0 ? domain + "." : "")}{node.OpType} (node '{OnnxGraph.NodeLabel(node)}')");
            return;
        }
        try
        {
            rule(ctx);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException
            or OnnxFormatException or DivideByZeroException or OverflowException)
        {
            state.Notes.Add($"node '{OnnxGraph.NodeLabel(node)}' ({node.OpType}): shape not inferred: {e.Message}");
        }
    }
}
