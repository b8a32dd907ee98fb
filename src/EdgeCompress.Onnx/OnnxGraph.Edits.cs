using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Onnx;

// Edits of the node list and of nodes' inputs and outputs. Each keeps the lookups valid: a node's inputs update the
// consumer lists in place; node-list and output edits drop producers and consumers, rebuilt on the next lookup.
public sealed partial class OnnxGraph
{
    /// <summary>Appends a node, or inserts it at <paramref name="index"/>.</summary>
    public void AddNode(NodeProto node, int? index = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (index is null)
        {
            Proto.Node.Add(node);
        }
        else
        {
            Proto.Node.Insert(index.Value, node);
        }
        Reserve(NamesOf(node));
        NodesChanged();
    }

    /// <summary>Appends nodes in order (a pass that builds them out of order sorts afterwards).</summary>
    public void AddNodes(IEnumerable<NodeProto> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        foreach (var node in nodes)
        {
            Proto.Node.Add(node);
            Reserve(NamesOf(node));
        }
        NodesChanged();
    }

    /// <summary>Removes a node (its outputs become dangling unless rewired by the caller).</summary>
    public void RemoveNode(NodeProto node)
    {
        Proto.Node.Remove(node);
        NodesChanged();
    }

    /// <summary>Puts <paramref name="replacements"/> where <paramref name="node"/> stood, in order, and removes it.</summary>
    /// <exception cref="ArgumentException"><paramref name="node"/> is not in the graph.</exception>
    public void ReplaceNode(NodeProto node, IReadOnlyList<NodeProto> replacements)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(replacements);
        var index = Proto.Node.IndexOf(node);
        if (index < 0)
        {
            throw new ArgumentException($"node '{NodeLabel(node)}' is not in the graph", nameof(node));
        }
        Proto.Node.RemoveAt(index);
        for (var i = 0; i < replacements.Count; i++)
        {
            Proto.Node.Insert(index + i, replacements[i]);
            Reserve(NamesOf(replacements[i]));
        }
        NodesChanged();
    }

    /// <summary>Sets a node's input <paramref name="index"/> to <paramref name="value"/>; past the last input, the
    /// inputs in between are left empty (absent optional inputs).</summary>
    public void SetInput(NodeProto node, int index, string value)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        while (node.Input.Count <= index)
        {
            node.Input.Add("");
        }
        var old = node.Input[index];
        node.Input[index] = value;
        InputChanged(node, old, value);
    }

    /// <summary>Appends an input to a node, or inserts it at <paramref name="index"/> (shifting the inputs after it;
    /// past the last input, the inputs in between are left empty).</summary>
    public void AddInput(NodeProto node, string value, int? index = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(value);
        if (index is null)
        {
            node.Input.Add(value);
        }
        else
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index.Value);
            while (node.Input.Count < index)
            {
                node.Input.Add("");
            }
            node.Input.Insert(index.Value, value);
        }
        InputChanged(node, "", value);
    }

    /// <summary>Points every input of <paramref name="node"/> that reads <paramref name="from"/> at <paramref name="to"/>.</summary>
    public void ReplaceInput(NodeProto node, string from, string to)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(to);
        for (var i = 0; i < node.Input.Count; i++)
        {
            if (node.Input[i] == from)
            {
                node.Input[i] = to;
            }
        }
        InputChanged(node, from, to);
    }

    /// <summary>Points every reader of <paramref name="from"/> at <paramref name="to"/> (graph outputs included).</summary>
    public void ReplaceAllUses(string from, string to)
    {
        foreach (var n in Consumers(from).ToList())
        {
            ReplaceInput(n, from, to);
        }
        foreach (var o in Proto.Output)
        {
            if (o.Name == from)
            {
                o.Name = to;
            }
        }
        Reserve([to]);
    }

    /// <summary>Sets a node's output <paramref name="index"/> to <paramref name="value"/> (the node then writes that value).</summary>
    public void SetOutput(NodeProto node, int index, string value)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(value);
        node.Output[index] = value;
        Reserve([value]);
        NodesChanged();
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
        Reserve([to]);
        NodesChanged();
        InitializersChanged();
    }
}
