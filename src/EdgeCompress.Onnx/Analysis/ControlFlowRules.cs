using EdgeCompress.Onnx.Protos;
using DT = EdgeCompress.Onnx.Protos.TensorProto.Types.DataType;

namespace EdgeCompress.Onnx;

/// <summary>Shape inference through If/Loop/Scan: subgraphs are inferred with the outer scope visible (so MACs
/// inside branches and bodies count), and the node's outputs take the subgraph outputs' types.</summary>
internal static class ControlFlowRules
{
    public static void Infer(NodeContext c, InferenceState state, Action<GraphProto, InferenceState> inferGraph)
    {
        var node = c.Node;
        switch (node.OpType)
        {
            case "If":
                var thenGraph = node.Find("then_branch")?.G;
                var elseGraph = node.Find("else_branch")?.G;
                if (thenGraph is null || elseGraph is null)
                {
                    return;
                }
                inferGraph(thenGraph, state);
                inferGraph(elseGraph, state);
                for (var i = 0; i < node.Output.Count && i < thenGraph.Output.Count && i < elseGraph.Output.Count; i++)
                {
                    c.Out(i, Join(state.Types.GetValueOrDefault(thenGraph.Output[i].Name), state.Types.GetValueOrDefault(elseGraph.Output[i].Name)));
                }
                break;
            case "Loop":
                Loop(c, state, inferGraph);
                break;
            default:
                var body = node.Find("body")?.G;
                if (body is null)
                {
                    return;
                }
                inferGraph(body, state);
                for (var i = 0; i < node.Output.Count && i < body.Output.Count; i++)
                {
                    var t = state.Types.GetValueOrDefault(body.Output[i].Name);
                    c.Out(i, t is null ? null : TensorType.UnknownShape(t.ElementType));
                }
                break;
        }
    }

    private static void Loop(NodeContext c, InferenceState state, Action<GraphProto, InferenceState> inferGraph)
    {
        var body = c.Node.Find("body")?.G;
        if (body is null)
        {
            return;
        }
        // Body inputs: iteration number, condition, then the loop-carried values (typed like the node's inputs 2..).
        for (var i = 0; i < body.Input.Count; i++)
        {
            var declared = TensorType.FromValueInfo(body.Input[i]);
            var outer = i == 0 ? new TensorType(DT.Int64, []) : i == 1 ? new TensorType(DT.Bool, []) : c.In(i);
            var t = TensorType.Merge(declared, outer);
            if (t is not null)
            {
                state.Types[body.Input[i].Name] = t;
            }
        }
        inferGraph(body, state);
        var carried = body.Input.Count - 2;
        for (var i = 0; i < c.Node.Output.Count && i + 1 < body.Output.Count; i++)
        {
            var t = state.Types.GetValueOrDefault(body.Output[i + 1].Name);
            if (t is null)
            {
                continue;
            }
            // Scan outputs gain a leading iteration axis whose length is the trip count.
            var trip = c.KnownValues(0) is [var m] && !c.HasInput(1) ? Dim.Of(m) : Dim.Unknown;
            c.Out(i, i < carried ? Join(t, c.In(i + 2)) : new TensorType(t.ElementType, t.Dims is null ? null : [trip, .. t.Dims]));
        }
    }

    /// <summary>The type two branches agree on: dims that differ become unknown.</summary>
    private static TensorType? Join(TensorType? a, TensorType? b)
    {
        if (a is null || b is null)
        {
            return a ?? b;
        }
        if (a.Dims is null || b.Dims is null || a.Dims.Count != b.Dims.Count)
        {
            return new TensorType(a.ElementType, null);
        }
        return new TensorType(a.ElementType, a.Dims.Select((d, i) => d.SameAs(b.Dims[i]) ? d : Dim.Unknown).ToArray());
    }
}
