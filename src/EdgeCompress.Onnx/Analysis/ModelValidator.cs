using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Onnx;

/// <summary>How serious a validation finding is.</summary>
public enum FindingSeverity
{
    /// <summary>Worth knowing; the model is fine.</summary>
    Info,

    /// <summary>Legal but suspicious, or rejected by strict tools.</summary>
    Warning,

    /// <summary>The model is broken: a runtime will refuse it or compute something undefined.</summary>
    Error,
}

/// <summary>One validation finding; <see cref="Node"/> names the node at fault when there is one.</summary>
public sealed record ValidationFinding(FindingSeverity Severity, string? Node, string Message)
{
    /// <summary>"error: node 'conv1': reads 'x', which nothing produces".</summary>
    public override string ToString() =>
        $"{Severity.ToString().ToLowerInvariant()}: {(Node is null ? "" : $"node '{Node}': ")}{Message}";
}

/// <summary>
/// Structural checks on a model's graphs (subgraphs included, with the outer scope visible): node inputs nothing
/// produces (weights without an initializer reported as such), values with two producers, cycles, nodes stored
/// out of topological order, graph outputs nobody produces, operator domains with no opset import, unused
/// initializers and duplicate node names.
/// </summary>
public static class ModelValidator
{
    private static readonly Dictionary<string, int[]> WeightSlots = new(StringComparer.Ordinal)
    {
        ["Conv"] = [1, 2], ["ConvTranspose"] = [1, 2], ["Gemm"] = [1, 2], ["BatchNormalization"] = [1, 2, 3, 4],
        ["LSTM"] = [1, 2, 3], ["GRU"] = [1, 2, 3], ["RNN"] = [1, 2, 3], ["InstanceNormalization"] = [1, 2],
        ["LayerNormalization"] = [1, 2], ["PRelu"] = [1],
    };

    /// <summary>Runs every check; an empty list means the model's structure is sound.</summary>
    public static IReadOnlyList<ValidationFinding> Validate(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var findings = new List<ValidationFinding>();
        var domains = new HashSet<string>(model.Proto.OpsetImport.Select(o => o.Domain is "ai.onnx" ? "" : o.Domain ?? ""), StringComparer.Ordinal);
        var functions = new HashSet<string>(model.Proto.Functions.Select(f => $"{f.Domain}:{f.Name}"), StringComparer.Ordinal);
        var graph = model.Proto.Graph;
        CheckGraph(graph, new HashSet<string>(StringComparer.Ordinal), domains, functions, findings, isMain: true);
        return findings;
    }

    private static void CheckGraph(GraphProto graph, HashSet<string> outer, HashSet<string> domains, HashSet<string> functions,
        List<ValidationFinding> findings, bool isMain)
    {
        var where = isMain ? "" : $" (in subgraph '{graph.Name}')";
        var defined = new HashSet<string>(outer, StringComparer.Ordinal);
        var producer = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in graph.Input.Select(i => i.Name).Concat(graph.Initializer.Select(t => t.Name)).Concat(graph.SparseInitializer.Select(s => s.Values?.Name ?? "")))
        {
            if (name.Length > 0)
            {
                defined.Add(name);
            }
        }
        var inputsAndInits = new HashSet<string>(defined.Except(outer), StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            var label = OnnxGraph.NodeLabel(node);
            foreach (var o in node.Output.Where(o => o.Length > 0))
            {
                if (producer.TryGetValue(o, out var first))
                {
                    findings.Add(new(FindingSeverity.Error, label, $"output '{o}' is also produced by node '{first}'{where}"));
                }
                else if (inputsAndInits.Contains(o))
                {
                    findings.Add(new(FindingSeverity.Error, label, $"output '{o}' has the name of a graph input or initializer{where}"));
                }
                else
                {
                    producer[o] = label;
                }
            }
        }
        var all = new HashSet<string>(defined.Concat(producer.Keys), StringComparer.Ordinal);
        var seen = new HashSet<string>(defined, StringComparer.Ordinal);
        var outOfOrderReported = false;
        foreach (var node in graph.Node)
        {
            var label = OnnxGraph.NodeLabel(node);
            CheckNode(node, label, where, domains, functions, findings);
            var slots = WeightSlots.GetValueOrDefault(node.OpType) ?? [];
            for (var i = 0; i < node.Input.Count; i++)
            {
                var input = node.Input[i];
                if (input.Length == 0)
                {
                    continue;
                }
                if (!all.Contains(input))
                {
                    findings.Add(new(FindingSeverity.Error, label, slots.Contains(i)
                        ? $"{node.OpType} weight input {i} '{input}' has no initializer (and no node produces it){where}"
                        : $"reads '{input}', which no node, graph input or initializer provides{where}"));
                }
                else if (!seen.Contains(input) && !outOfOrderReported)
                {
                    outOfOrderReported = true;
                    findings.Add(new(FindingSeverity.Warning, label, $"reads '{input}' before node '{producer[input]}' produces it: nodes are not stored in topological order{where}"));
                }
            }
            seen.UnionWith(node.Output);
            foreach (var sub in ModelWalker.SubgraphsOf(node))
            {
                CheckGraph(sub, all, domains, functions, findings, isMain: false);
            }
        }
        try
        {
            new OnnxGraph(graph).TopologicalOrder();
        }
        catch (OnnxFormatException e)
        {
            findings.Add(new(FindingSeverity.Error, null, e.Message + where));
        }
        foreach (var o in graph.Output)
        {
            if (!all.Contains(o.Name))
            {
                findings.Add(new(FindingSeverity.Error, null, $"graph output '{o.Name}' is produced by no node, input or initializer{where}"));
            }
        }
        CheckNames(graph, where, findings);
    }

    private static void CheckNode(NodeProto node, string label, string where, HashSet<string> domains, HashSet<string> functions, List<ValidationFinding> findings)
    {
        var domain = node.Domain is "ai.onnx" ? "" : node.Domain ?? "";
        if (string.IsNullOrEmpty(node.OpType))
        {
            findings.Add(new(FindingSeverity.Error, label, $"has no op_type{where}"));
        }
        else if (!domains.Contains(domain) && !functions.Contains($"{node.Domain}:{node.OpType}"))
        {
            findings.Add(new(FindingSeverity.Error, label, $"uses domain '{domain}', which the model imports no opset for{where}"));
        }
    }

    private static void CheckNames(GraphProto graph, string where, List<ValidationFinding> findings)
    {
        foreach (var dup in graph.Node.Where(n => n.Name.Length > 0).GroupBy(n => n.Name).Where(g => g.Count() > 1))
        {
            findings.Add(new(FindingSeverity.Warning, dup.Key, $"{dup.Count()} nodes share this name{where}"));
        }
        var used = new HashSet<string>(graph.Node.SelectMany(n => n.Input.Concat(OnnxGraph.OuterScopeInputs(n))), StringComparer.Ordinal);
        used.UnionWith(graph.Output.Select(o => o.Name));
        var unused = graph.Initializer.Where(t => !used.Contains(t.Name)).Select(t => t.Name).ToArray();
        if (unused.Length > 0)
        {
            findings.Add(new(FindingSeverity.Info, null,
                $"{unused.Length} initializer(s) no node reads: {string.Join(", ", unused.Take(5).Select(n => $"'{n}'"))}{(unused.Length > 5 ? ", ..." : "")}{where}"));
        }
    }
}
