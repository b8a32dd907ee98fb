using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Onnx;

/// <summary>
/// An editable view of a <see cref="GraphProto"/> for compression passes: producer and consumer lookups,
/// initializers by name, constants (initializers or Constant nodes), node and initializer edits, renaming and
/// topological ordering. Lookups are cached and rebuilt after any edit made through this class; after editing
/// <see cref="Proto"/> directly, call <see cref="Invalidate"/>.
/// </summary>
public sealed class OnnxGraph
{
    private Dictionary<string, NodeProto>? _producers;
    private Dictionary<string, List<NodeProto>>? _consumers;
    private Dictionary<string, TensorProto>? _initializers;
    private HashSet<string>? _names;

    /// <summary>Wraps a graph; the graph is edited in place.</summary>
    public OnnxGraph(GraphProto proto) => Proto = proto;

    /// <summary>The wrapped protobuf graph.</summary>
    public GraphProto Proto { get; }

    /// <summary>The nodes in stored order (ONNX requires this to be a topological order).</summary>
    public IList<NodeProto> Nodes => Proto.Node;

    /// <summary>Initializers by name.</summary>
    public IReadOnlyDictionary<string, TensorProto> Initializers =>
        _initializers ??= Proto.Initializer.GroupBy(t => t.Name).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);

    /// <summary>Graph inputs that are real inputs (not also initializers, as old exporters list them).</summary>
    public IEnumerable<ValueInfoProto> RealInputs => Proto.Input.Where(i => !Initializers.ContainsKey(i.Name));

    /// <summary>Drops cached lookups; call after editing <see cref="Proto"/> directly.</summary>
    public void Invalidate()
    {
        _producers = null;
        _consumers = null;
        _initializers = null;
        _names = null;
    }

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
            foreach (var i in n.Input.Concat(OuterScopeInputs(n)).Distinct(StringComparer.Ordinal))
            {
                if (i.Length == 0)
                {
                    continue;
                }
                if (!_consumers.TryGetValue(i, out var list))
                {
                    _consumers[i] = list = [];
                }
                list.Add(n);
            }
        }
    }

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

    /// <summary>Appends a node, or inserts it at <paramref name="index"/>.</summary>
    public void AddNode(NodeProto node, int? index = null)
    {
        if (index is null)
        {
            Proto.Node.Add(node);
        }
        else
        {
            Proto.Node.Insert(index.Value, node);
        }
        Invalidate();
    }

    /// <summary>Removes a node (its outputs become dangling unless rewired by the caller).</summary>
    public void RemoveNode(NodeProto node)
    {
        Proto.Node.Remove(node);
        Invalidate();
    }

    /// <summary>Adds or replaces an initializer by name.</summary>
    public void SetInitializer(TensorProto tensor)
    {
        for (var i = 0; i < Proto.Initializer.Count; i++)
        {
            if (Proto.Initializer[i].Name == tensor.Name)
            {
                Proto.Initializer[i] = tensor;
                Invalidate();
                return;
            }
        }
        Proto.Initializer.Add(tensor);
        Invalidate();
    }

    /// <summary>Removes an initializer (and its graph-input entry, if the exporter listed one).</summary>
    public bool RemoveInitializer(string name)
    {
        var removed = false;
        for (var i = Proto.Initializer.Count - 1; i >= 0; i--)
        {
            if (Proto.Initializer[i].Name == name)
            {
                Proto.Initializer.RemoveAt(i);
                removed = true;
            }
        }
        if (removed)
        {
            var input = Proto.Input.FirstOrDefault(v => v.Name == name);
            if (input is not null)
            {
                Proto.Input.Remove(input);
            }
            Invalidate();
        }
        return removed;
    }

    /// <summary>Removes initializers and Constant nodes nothing reads any more.</summary>
    public int RemoveUnused()
    {
        var removed = 0;
        bool changed;
        do
        {
            changed = false;
            foreach (var n in Proto.Node.ToList())
            {
                if (n.OpType == "Constant" && n.Output.All(o => Consumers(o).Count == 0 && !IsGraphOutput(o)))
                {
                    RemoveNode(n);
                    removed++;
                    changed = true;
                }
            }
        }
        while (changed);
        foreach (var t in Proto.Initializer.ToList())
        {
            if (Consumers(t.Name).Count == 0 && !IsGraphOutput(t.Name) && RemoveInitializer(t.Name))
            {
                removed++;
            }
        }
        return removed;
    }

    /// <summary>Renames a value everywhere it appears: node inputs/outputs, graph inputs/outputs, value_info,
    /// initializers. Subgraphs that read the value from the outer scope are renamed too.</summary>
    public void RenameValue(string from, string to)
    {
        foreach (var g in ModelWalker.GraphAndSubgraphs(Proto))
        {
            foreach (var n in g.Node)
            {
                for (var i = 0; i < n.Input.Count; i++)
                {
                    if (n.Input[i] == from)
                    {
                        n.Input[i] = to;
                    }
                }
                for (var i = 0; i < n.Output.Count; i++)
                {
                    if (n.Output[i] == from)
                    {
                        n.Output[i] = to;
                    }
                }
            }
            foreach (var v in g.Input.Concat(g.Output).Concat(g.ValueInfo))
            {
                if (v.Name == from)
                {
                    v.Name = to;
                }
            }
            foreach (var t in g.Initializer)
            {
                if (t.Name == from)
                {
                    t.Name = to;
                }
            }
        }
        Invalidate();
    }

    /// <summary>Points every reader of <paramref name="from"/> at <paramref name="to"/> (graph outputs included).</summary>
    public void ReplaceAllUses(string from, string to)
    {
        foreach (var n in Consumers(from).ToList())
        {
            for (var i = 0; i < n.Input.Count; i++)
            {
                if (n.Input[i] == from)
                {
                    n.Input[i] = to;
                }
            }
        }
        foreach (var o in Proto.Output)
        {
            if (o.Name == from)
            {
                o.Name = to;
            }
        }
        Invalidate();
    }

    /// <summary>A value or node name not yet used in the graph, built from <paramref name="prefix"/>.</summary>
    public string UniqueName(string prefix)
    {
        if (_names is null)
        {
            _names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var g in ModelWalker.GraphAndSubgraphs(Proto))
            {
                foreach (var n in g.Node)
                {
                    _names.Add(n.Name);
                    _names.UnionWith(n.Output);
                    _names.UnionWith(n.Input);
                }
                _names.UnionWith(g.Initializer.Select(t => t.Name));
                _names.UnionWith(g.Input.Select(v => v.Name));
                _names.UnionWith(g.Output.Select(v => v.Name));
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

    /// <summary>
    /// The nodes in an order where every node comes after the producers of its inputs (Kahn's algorithm, stable
    /// with respect to the stored order). Throws <see cref="OnnxFormatException"/> naming a node on a cycle.
    /// </summary>
    public IReadOnlyList<NodeProto> TopologicalOrder()
    {
        var nodes = Proto.Node;
        var index = new Dictionary<NodeProto, int>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < nodes.Count; i++)
        {
            index[nodes[i]] = i;
        }
        var pending = new int[nodes.Count];
        var dependents = new List<int>[nodes.Count];
        for (var i = 0; i < nodes.Count; i++)
        {
            dependents[i] = [];
        }
        for (var i = 0; i < nodes.Count; i++)
        {
            foreach (var input in nodes[i].Input.Concat(OuterScopeInputs(nodes[i])).Distinct(StringComparer.Ordinal))
            {
                var p = input.Length == 0 ? null : Producer(input);
                if (p is not null && !ReferenceEquals(p, nodes[i]))
                {
                    pending[i]++;
                    dependents[index[p]].Add(i);
                }
            }
        }
        var ready = new PriorityQueue<int, int>();
        for (var i = 0; i < nodes.Count; i++)
        {
            if (pending[i] == 0)
            {
                ready.Enqueue(i, i);
            }
        }
        var order = new List<NodeProto>(nodes.Count);
        while (ready.TryDequeue(out var i, out _))
        {
            order.Add(nodes[i]);
            foreach (var d in dependents[i])
            {
                if (--pending[d] == 0)
                {
                    ready.Enqueue(d, d);
                }
            }
        }
        if (order.Count != nodes.Count)
        {
            var stuck = nodes.Where((_, i) => pending[i] > 0).First();
            throw new OnnxFormatException($"graph has a cycle through node '{NodeLabel(stuck)}'");
        }
        return order;
    }

    /// <summary>Re-stores the nodes in topological order (after passes that append nodes out of order).</summary>
    public void SortTopologically()
    {
        var order = TopologicalOrder();
        Proto.Node.Clear();
        Proto.Node.AddRange(order);
        Invalidate();
    }

    /// <summary>How messages name a node: its name, or op type and first output when it has none.</summary>
    public static string NodeLabel(NodeProto node) =>
        !string.IsNullOrEmpty(node.Name) ? node.Name : $"{node.OpType}->{node.Output.FirstOrDefault() ?? "?"}";
}
