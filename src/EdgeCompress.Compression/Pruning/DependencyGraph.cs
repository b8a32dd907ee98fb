using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Pruning;

/// <summary>
/// The channel dependency graph of a model: which channel spaces each value carries (its <see cref="ChannelLayout"/>),
/// which spaces are tied together, and every edit removing channels requires. Built by walking the nodes in
/// topological order from each Conv/Gemm/MatMul output (a new space) through the operators that carry channels.
/// Anything not understood blocks the spaces it touches, with the reason kept for the user.
/// </summary>
internal sealed partial class DependencyGraph
{
    private static readonly HashSet<string> PassThrough = new(StringComparer.Ordinal)
    {
        "Relu", "LeakyRelu", "Clip", "HardSwish", "HardSigmoid", "Sigmoid", "Tanh", "Elu", "Selu", "Celu", "Softplus",
        "Softsign", "Mish", "Gelu", "Erf", "Identity", "Dropout", "Cast", "Neg", "Abs", "Sqrt", "Exp", "Log",
        "Reciprocal", "Floor", "Ceil", "Round", "Sign", "ThresholdedRelu", "MaxPool", "AveragePool", "LpPool",
        "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool", "LRN", "Softmax", "LogSoftmax", "Upsample",
    };

    private static readonly HashSet<string> Elementwise = new(StringComparer.Ordinal)
    {
        "Add", "Sub", "Mul", "Div", "Pow", "PRelu", "Max", "Min", "Sum", "Mean",
    };

    private static readonly HashSet<string> Reductions = new(StringComparer.Ordinal)
    {
        "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceL1", "ReduceL2", "ReduceProd", "ReduceSumSquare",
        "ReduceLogSum", "ReduceLogSumExp",
    };

    private readonly OnnxGraph _graph;
    private readonly ObservedShapes _shapes;
    private readonly long _opset;
    private readonly Dictionary<string, ChannelLayout> _layouts = new(StringComparer.Ordinal);

    /// <summary>Where a Split or Slice cuts a layer's output channels: the layer's channels become separate spaces
    /// at those channel indices (a CSP block's halves, an attention projection's q/k/v).</summary>
    private readonly Dictionary<NodeProto, SortedSet<int>> _cuts;

    private bool _newCuts;

    private DependencyGraph(OnnxModel model, ObservedShapes shapes, Dictionary<NodeProto, SortedSet<int>> cuts)
    {
        _graph = model.Graph;
        _shapes = shapes;
        _opset = model.OpsetVersion() ?? 13;
        _cuts = cuts;
        Store = new ParamStore(_graph);
    }

    public ChannelSpaces Spaces { get; } = new();

    public List<PruneSite> Sites { get; } = [];

    public ParamStore Store { get; }

    /// <summary>The layout of every value that carries prunable channels.</summary>
    public IReadOnlyDictionary<string, ChannelLayout> Layouts => _layouts;

    public static DependencyGraph Build(OnnxModel model, ObservedShapes shapes)
    {
        // A cut found while walking is known only after the layer was visited: walk again with the layer's
        // channels split there (each round adds cuts, so this ends).
        var cuts = new Dictionary<NodeProto, SortedSet<int>>();
        DependencyGraph g;
        var order = model.Graph.TopologicalOrder();
        do
        {
            g = new DependencyGraph(model, shapes, cuts);
            foreach (var n in order)
            {
                g.Visit(n);
            }
        }
        while (g._newCuts);
        foreach (var o in g._graph.Proto.Output)
        {
            g.Spaces.BlockAll(g.Layout(o.Name), $"{ModelOutput} '{o.Name}'");
        }
        return g;
    }

    /// <summary>The block reason of channels that are a model output (never pruned, not counted as asked for).</summary>
    private const string ModelOutput = "its channels are model output";

    /// <summary>True when the channels of space <paramref name="root"/> are a model output.</summary>
    public bool IsModelOutput(int root) => Spaces.BlockReasons(root).Any(r => r.StartsWith(ModelOutput, StringComparison.Ordinal));

    /// <summary>Rank of a value as observed.</summary>
    public int RankOf(string value) => DimsOf(value).Length;

    /// <summary>Position of a node in the graph's stored node list.</summary>
    public int IndexOf(NodeProto node) => _graph.Proto.Node.IndexOf(node);

    private ChannelLayout? Layout(string value) => value.Length > 0 ? _layouts.GetValueOrDefault(value) : null;

    private long[] DimsOf(string value) => _shapes.Dims(value) ?? [];

    private void Set(string value, ChannelLayout? layout)
    {
        if (layout is not null && value.Length > 0)
        {
            _layouts[value] = layout;
        }
    }

    private static string Label(NodeProto n) => OnnxGraph.NodeLabel(n);

    private void Visit(NodeProto n)
    {
        foreach (var outer in OnnxGraph.OuterScopeInputs(n))
        {
            Spaces.BlockAll(Layout(outer), $"{Label(n)} ({n.OpType}) reads the channels inside a subgraph");
        }
        if ((n.Domain ?? "").Length > 0 && n.Domain != "ai.onnx")
        {
            BlockInputs(n);
            return;
        }
        switch (n.OpType)
        {
            case "Constant" or "Shape" or "Size":
                return;
            case "Conv" or "ConvTranspose":
                VisitConv(n);
                return;
            case "Gemm":
                VisitGemm(n);
                return;
            case "MatMul":
                VisitMatMul(n);
                return;
            case "BatchNormalization" or "InstanceNormalization":
                VisitNorm(n);
                return;
            case "LayerNormalization":
                VisitLayerNorm(n);
                return;
            case "Concat":
                VisitConcat(n);
                return;
            case "Split":
                VisitSplit(n);
                return;
            case "Slice":
                VisitSlice(n);
                return;
            case "Gather":
                VisitGather(n);
                return;
            case "Flatten":
                VisitFlatten(n);
                return;
            case "Reshape":
                VisitReshape(n);
                return;
            case "Transpose":
                VisitTranspose(n);
                return;
            case "Squeeze" or "Unsqueeze":
                VisitSqueeze(n);
                return;
            case "Pad":
                VisitPad(n);
                return;
            case "Resize":
                VisitResize(n);
                return;
            case var op when Reductions.Contains(op):
                VisitReduce(n);
                return;
            case var op when Elementwise.Contains(op):
                VisitElementwise(n);
                return;
            case var op when PassThrough.Contains(op):
                BlockInputs(n, from: 1);
                Set(n.Output[0], Layout(n.Input[0]));
                return;
            default:
                BlockInputs(n);
                return;
        }
    }

    /// <summary>Blocks the channels of inputs an operator reads in a way we cannot follow.</summary>
    private void BlockInputs(NodeProto n, int from = 0)
    {
        for (var i = from; i < n.Input.Count; i++)
        {
            Spaces.BlockAll(Layout(n.Input[i]), $"{Label(n)} ({n.OpType}) reads them and cannot be pruned through");
        }
    }

    /// <summary>A fresh space for a layer's outputs when its weights can be sliced, else a fixed one.</summary>
    private ChannelLayout NewSource(NodeProto n, int count, int axis, string weight, int weightAxis, string? bias, int biasAxis)
    {
        if (!Store.IsPrivate(weight) || (bias is not null && !Store.IsPrivate(bias)))
        {
            return ChannelLayout.Single(axis, Spaces.CreateFixed(count, "its weights are shared with another node", n), count);
        }
        var layout = HeadsOf(n.Output[0], count) is var (parts, heads, size)
            ? new ChannelLayout(axis, Enumerable.Range(0, parts).Select(_ => new Segment(Spaces.Create(heads, n, size), heads, size)).ToList())
            : new ChannelLayout(axis, Parts(n, count).Select(c => new Segment(Spaces.Create(c, n), c, 1)).ToList());
        Sites.Add(new ParamSlice(n, layout, weight, weightAxis, SiteRole.ProducerWeight));
        if (bias is not null)
        {
            Sites.Add(new ParamSlice(n, layout, bias, biasAxis, SiteRole.ProducerBias));
        }
        return layout;
    }

    /// <summary>The sizes of a layer's channel parts: one part unless a Split or Slice cuts its output.</summary>
    private IEnumerable<int> Parts(NodeProto n, int count)
    {
        var at = 0;
        foreach (var cut in _cuts.TryGetValue(n, out var c) ? c.Where(i => i > 0 && i < count) : [])
        {
            yield return cut - at;
            at = cut;
        }
        yield return count - at;
    }

    /// <summary>Records that <paramref name="position"/> along a layout's axis must be a boundary between spaces;
    /// true when that is new (the graph is then walked again).</summary>
    private bool Cut(ChannelLayout x, long position)
    {
        long offset = 0;
        foreach (var s in x.Segments)
        {
            if (position > offset && position < offset + s.Length && (position - offset) % s.Repeat == 0 && Spaces.UnitOf(s.Space) == 1)
            {
                var channel = (int)((position - offset) / s.Repeat);
                var producers = Spaces.Producers(s.Space);
                foreach (var p in producers)
                {
                    if (!_cuts.TryGetValue(p, out var set))
                    {
                        _cuts[p] = set = [];
                    }
                    _newCuts |= set.Add(channel);
                }
                return producers.Count > 0;
            }
            offset += s.Length;
        }
        return false;
    }

    /// <summary>Records that a layer reads channels through a weight axis, or blocks them when it cannot.</summary>
    private void Consume(NodeProto n, ChannelLayout? x, string weight, int weightAxis, long expected, bool layoutOk)
    {
        if (x is null)
        {
            return;
        }
        if (!layoutOk || x.Length != expected)
        {
            Spaces.BlockAll(x, $"{Label(n)} ({n.OpType}) reads them in a layout we cannot follow");
        }
        else if (!Store.IsPrivate(weight))
        {
            Spaces.BlockAll(x, $"the weights of {Label(n)} are shared with another node");
        }
        else
        {
            Sites.Add(new ParamSlice(n, x, weight, weightAxis, SiteRole.ConsumerWeight, n.Input[0]));
        }
    }

    private static string? Optional(NodeProto n, int index) => n.Input.Count > index && n.Input[index].Length > 0 ? n.Input[index] : null;
}
