using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Onnx;

// Topological order of the nodes, and re-storing them in it.
public sealed partial class OnnxGraph
{
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
        NodesChanged();
    }
}
