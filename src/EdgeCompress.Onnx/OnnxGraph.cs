using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Onnx;

/// <summary>
/// An editable view of a <see cref="GraphProto"/> for compression passes: producer and consumer lookups,
/// initializers by name, constants (initializers or Constant nodes), fresh names, and the edits passes make (this
/// file holds the lookups; the edits and the topological order sit beside it). Lookups are cached, and every edit
/// goes through a method of this class, which keeps them valid. <see cref="Proto"/> is for reading: editing the
/// node list, a node's inputs or outputs, the initializers or the graph's inputs through it leaves the lookups stale.
/// </summary>
public sealed partial class OnnxGraph
{
    private Dictionary<string, NodeProto>? _producers;
    private Dictionary<string, List<NodeProto>>? _consumers;
    private Dictionary<string, TensorProto>? _initializers;
    // Every name in use or handed out by UniqueName; it only grows, so a name handed out for a node a pass adds
    // later is never handed out twice, whatever is edited in between.
    private HashSet<string>? _names;

    /// <summary>Wraps a graph; the graph is edited in place.</summary>
    public OnnxGraph(GraphProto proto) => Proto = proto;

    /// <summary>The wrapped protobuf graph, for reading; edit it through this class's methods.</summary>
    public GraphProto Proto { get; }

    /// <summary>The nodes in stored order (ONNX requires this to be a topological order).</summary>
    public IReadOnlyList<NodeProto> Nodes => Proto.Node;

    /// <summary>Initializers by name.</summary>
    public IReadOnlyDictionary<string, TensorProto> Initializers =>
        _initializers ??= Proto.Initializer.GroupBy(t => t.Name).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);

    /// <summary>Graph inputs that are real inputs (not also initializers, as old exporters list them).</summary>
    public IEnumerable<ValueInfoProto> RealInputs => Proto.Input.Where(i => !Initializers.ContainsKey(i.Name));

    /// <summary>Names a node's subgraphs read from the enclosing scope (If/Loop bodies referring to outer values).</summary>
    public static IEnumerable<string> OuterScopeInputs(NodeProto node)
    {
        foreach (var sub in ModelWalker.SubgraphsOf(node))
        {
            var defined = new HashSet<string>(StringComparer.Ordinal);
            foreach (var g in ModelWalker.GraphAndSubgraphs(sub))
            {
                defined.UnionWith(g.Input.Select(i => i.Name));
                defined.UnionWith(g.Initializer.Select(i => i.Name));
                foreach (var n in g.Node)
                {
                    defined.UnionWith(n.Output);
                }
            }
            foreach (var g in ModelWalker.GraphAndSubgraphs(sub))
            {
                foreach (var n in g.Node)
                {
                    foreach (var i in n.Input)
                    {
                        if (i.Length > 0 && !defined.Contains(i))
                        {
                            yield return i;
                        }
                    }
                }
                foreach (var o in g.Output)
                {
                    if (!defined.Contains(o.Name))
                    {
                        yield return o.Name;
                    }
                }
            }
        }
    }

    /// <summary>The node producing a value, or null for graph inputs, initializers and unknown names.</summary>
    public NodeProto? Producer(string value)
    {
        if (_producers is null)
        {
            BuildMaps();
        }
        return _producers!.GetValueOrDefault(value);
    }

    /// <summary>The nodes reading a value (including through subgraphs), in graph order.</summary>
    public IReadOnlyList<NodeProto> Consumers(string value)
    {
        if (_consumers is null)
        {
            BuildMaps();
        }
        return _consumers!.TryGetValue(value, out var list) ? list : [];
    }

    /// <summary>True when a value is a graph output.</summary>
    public bool IsGraphOutput(string value) => Proto.Output.Any(o => o.Name == value);

    /// <summary>
    /// The constant tensor behind a value: an initializer (unless it is also a graph input, which makes it
    /// overridable) or the output of a Constant node with a 'value' tensor. Null otherwise.
    /// </summary>
    public TensorProto? GetConstant(string value)
    {
        if (Initializers.TryGetValue(value, out var t))
        {
            return Proto.Input.Any(i => i.Name == value) ? null : t;
        }
        var p = Producer(value);
        if (p is { OpType: "Constant" } && (p.Domain ?? "").Length == 0)
        {
            return p.Attribute.FirstOrDefault(a => a.Name == "value")?.T;
        }
        return null;
    }

    /// <summary>A value or node name not yet used in the graph nor handed out before, built from <paramref name="prefix"/>.</summary>
    public string UniqueName(string prefix)
    {
        if (_names is null)
        {
            _names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var g in ModelWalker.GraphAndSubgraphs(Proto))
            {
                _names.UnionWith(NamesAt(g));
            }
        }
        var name = prefix;
        for (var i = 1; _names.Contains(name); i++)
        {
            name = $"{prefix}_{i}";
        }
        _names.Add(name);
        return name;
    }

    /// <summary>How messages name a node: its name, or op type and first output when it has none.</summary>
    public static string NodeLabel(NodeProto node) =>
        !string.IsNullOrEmpty(node.Name) ? node.Name : $"{node.OpType}->{node.Output.FirstOrDefault() ?? "?"}";

    private void BuildMaps()
    {
        _producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        _consumers = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        foreach (var n in Proto.Node)
        {
            foreach (var o in n.Output)
            {
                if (o.Length > 0)
                {
                    _producers[o] = n;
                }
            }
            foreach (var i in ReadNames(n))
            {
                if (!_consumers.TryGetValue(i, out var list))
                {
                    _consumers[i] = list = [];
                }
                list.Add(n);
            }
        }
    }

    /// <summary>The non-empty names a node reads, each once: its inputs and what its subgraphs read from outside.</summary>
    private static IEnumerable<string> ReadNames(NodeProto node) =>
        node.Input.Concat(OuterScopeInputs(node)).Distinct(StringComparer.Ordinal).Where(i => i.Length > 0);

    /// <summary>The names one graph level uses: its nodes' names, inputs and outputs, initializers, inputs and outputs.</summary>
    private static IEnumerable<string> NamesAt(GraphProto g) =>
        g.Node.SelectMany(n => n.Output.Concat(n.Input).Prepend(n.Name))
            .Concat(g.Initializer.Select(t => t.Name))
            .Concat(g.Input.Select(v => v.Name))
            .Concat(g.Output.Select(v => v.Name));

    /// <summary>The names a node brings into the graph: its own, and those of its subgraphs.</summary>
    private static IEnumerable<string> NamesOf(NodeProto node) =>
        node.Output.Concat(node.Input).Prepend(node.Name)
            .Concat(ModelWalker.SubgraphsOf(node).SelectMany(ModelWalker.GraphAndSubgraphs).SelectMany(NamesAt));

    /// <summary>Keeps <see cref="UniqueName"/> from handing out names an edit brought in.</summary>
    private void Reserve(IEnumerable<string> names) => _names?.UnionWith(names);

    /// <summary>After an edit of the node list or of a node's outputs: producers and consumers are rebuilt on demand.</summary>
    private void NodesChanged()
    {
        _producers = null;
        _consumers = null;
    }

    /// <summary>After a node's input changed from <paramref name="old"/> to <paramref name="value"/>: the consumer
    /// lists of the two names are updated (as new lists, so a list a caller holds does not change under it).</summary>
    private void InputChanged(NodeProto node, string old, string value)
    {
        Reserve([value]);
        if (_consumers is null || old == value)
        {
            return;
        }
        // The node may still read the old name at another input or inside a subgraph.
        var reads = ReadNames(node).ToHashSet(StringComparer.Ordinal);
        if (old.Length > 0 && !reads.Contains(old))
        {
            DropReader(_consumers, old, node);
        }
        if (reads.Contains(value))
        {
            AddReader(_consumers, value, node);
        }
    }

    private static void DropReader(Dictionary<string, List<NodeProto>> consumers, string value, NodeProto node)
    {
        if (!consumers.TryGetValue(value, out var before))
        {
            return;
        }
        var after = before.Where(n => !ReferenceEquals(n, node)).ToList();
        if (after.Count > 0)
        {
            consumers[value] = after;
        }
        else
        {
            consumers.Remove(value);
        }
    }

    /// <summary>Lists <paramref name="node"/> among the readers of <paramref name="value"/> in graph order (a node not
    /// in the graph is not listed).</summary>
    private void AddReader(Dictionary<string, List<NodeProto>> consumers, string value, NodeProto node)
    {
        var readers = consumers.GetValueOrDefault(value) ?? [];
        if (readers.Contains(node, ReferenceEqualityComparer.Instance))
        {
            return;
        }
        var set = new HashSet<NodeProto>(readers, ReferenceEqualityComparer.Instance) { node };
        var ordered = Proto.Node.Where(set.Contains).ToList();
        if (ordered.Count > 0)
        {
            consumers[value] = ordered;
        }
    }
}
