using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Onnx;

/// <summary>Visits every tensor and graph a model holds, including subgraphs of If/Loop/Scan, tensors inside
/// node attributes (Constant), sparse initializers, functions and training graphs.</summary>
public static class ModelWalker
{
    /// <summary>Every graph in the model, the main graph first, then nested subgraphs.</summary>
    public static IEnumerable<GraphProto> Graphs(ModelProto model)
    {
        if (model.Graph is not null)
        {
            foreach (var g in GraphAndSubgraphs(model.Graph))
            {
                yield return g;
            }
        }
        foreach (var info in model.TrainingInfo)
        {
            foreach (var root in new[] { info.Initialization, info.Algorithm })
            {
                if (root is null)
                {
                    continue;
                }
                foreach (var g in GraphAndSubgraphs(root))
                {
                    yield return g;
                }
            }
        }
    }

    /// <summary>A graph followed by all graphs nested in its nodes' attributes, depth first.</summary>
    public static IEnumerable<GraphProto> GraphAndSubgraphs(GraphProto graph)
    {
        var stack = new Stack<GraphProto>();
        stack.Push(graph);
        while (stack.Count > 0)
        {
            var g = stack.Pop();
            yield return g;
            foreach (var node in g.Node)
            {
                foreach (var sub in SubgraphsOf(node))
                {
                    stack.Push(sub);
                }
            }
        }
    }

    /// <summary>Graphs held directly by a node's attributes (If branches, Loop/Scan bodies).</summary>
    public static IEnumerable<GraphProto> SubgraphsOf(NodeProto node)
    {
        foreach (var a in node.Attribute)
        {
            if (a.G is not null)
            {
                yield return a.G;
            }
            foreach (var g in a.Graphs)
            {
                yield return g;
            }
        }
    }

    /// <summary>Every tensor the model stores, with a short description of where it sits (for messages).</summary>
    public static IEnumerable<(TensorProto Tensor, string Where)> Tensors(ModelProto model)
    {
        foreach (var g in Graphs(model))
        {
            foreach (var t in TensorsOf(g))
            {
                yield return t;
            }
        }
        foreach (var f in model.Functions)
        {
            foreach (var n in f.Node)
            {
                foreach (var t in TensorsOf(n, $"function '{f.Name}'"))
                {
                    yield return t;
                }
            }
        }
    }

    private static IEnumerable<(TensorProto, string)> TensorsOf(GraphProto g)
    {
        var where = string.IsNullOrEmpty(g.Name) ? "graph" : $"graph '{g.Name}'";
        foreach (var t in g.Initializer)
        {
            yield return (t, $"initializer in {where}");
        }
        foreach (var s in g.SparseInitializer)
        {
            if (s.Values is not null)
            {
                yield return (s.Values, $"sparse initializer values in {where}");
            }
            if (s.Indices is not null)
            {
                yield return (s.Indices, $"sparse initializer indices in {where}");
            }
        }
        foreach (var n in g.Node)
        {
            foreach (var t in TensorsOf(n, where))
            {
                yield return t;
            }
        }
    }

    private static IEnumerable<(TensorProto, string)> TensorsOf(NodeProto n, string where)
    {
        var nodeName = string.IsNullOrEmpty(n.Name) ? n.OpType : n.Name;
        foreach (var a in n.Attribute)
        {
            if (a.T is not null)
            {
                yield return (a.T, $"attribute '{a.Name}' of node '{nodeName}' in {where}");
            }
            foreach (var t in a.Tensors)
            {
                yield return (t, $"attribute '{a.Name}' of node '{nodeName}' in {where}");
            }
            if (a.SparseTensor is not null)
            {
                if (a.SparseTensor.Values is not null)
                {
                    yield return (a.SparseTensor.Values, $"attribute '{a.Name}' of node '{nodeName}' in {where}");
                }
                if (a.SparseTensor.Indices is not null)
                {
                    yield return (a.SparseTensor.Indices, $"attribute '{a.Name}' of node '{nodeName}' in {where}");
                }
            }
        }
    }
}
