using System.Globalization;
using EdgeCompress.Compression.Passes;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using EdgeCompress.Runtime;

namespace EdgeCompress.Compression.Factorization;

/// <summary>
/// Low-rank factorization: truncated SVD for Gemm/MatMul (and 1x1 convs), Tucker-2 or CP for k x k convs, with
/// ranks from an energy fraction, a parameter target, a VBMF estimate or the user. The record holds, per layer,
/// the ranks, weights and MACs before/after (MACs from shapes observed in one ONNX Runtime run) and the relative
/// reconstruction error of the weight. The input model is never modified.
/// </summary>
public sealed class FactorizePass : ICompressionPass
{
    private readonly FactorizeOptions _options;

    /// <summary>Creates the pass; the options are validated when it runs.</summary>
    public FactorizePass(FactorizeOptions options) => _options = options;

    /// <inheritdoc />
    public string Name => "factorize";

    /// <inheritdoc />
    public PassResult Apply(OnnxModel model, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        _options.Validate();
        if (Float16Bridge.TryRun(model, m => Apply(m, progress, cancellationToken)) is { } float16)
        {
            return float16;
        }
        var record = new PassRecord(Name);
        foreach (var (k, v) in _options.Describe())
        {
            record.Settings[k] = v;
        }
        var output = new OnnxModel(model.Proto.Clone(), model.SourcePath);
        var graph = output.Graph;
        CheckNamedNodesExist(graph);

        var skipped = new List<(NodeProto Node, string Reason)>();
        var ir = output.Proto.IrVersion;
        var candidates = LayerFinder.Find(graph, _options, ir, skipped);
        WarnSkipped(skipped, record);
        var shapes = Probe(model, candidates, record, progress);
        var plans = new List<LayerPlan>(candidates.Count);
        for (var i = 0; i < candidates.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var c = candidates[i];
            progress?.Report($"analysing {c.Label} ({i + 1}/{candidates.Count})");
            plans.Add(LayerFinder.Analyse(graph, c, _options, ir, ShapesOf(c, shapes), record.Warnings, cancellationToken));
        }

        var paramsBefore = CountParams(graph);
        var opset = output.OpsetVersion() ?? 1;
        var sensitivity = MeasureSensitivity(model, plans, opset, record, progress, cancellationToken);
        var choices = RankSelector.Choose(plans, _options, paramsBefore, record.Warnings, sensitivity);
        var macs = new MacTally();
        foreach (var (node, reason) in skipped)
        {
            var count = WeightCount(graph, node, ir);
            record.Layers.Add(new LayerRecord(OnnxGraph.NodeLabel(node), node.OpType, $"kept: {reason}", count, count));
        }
        for (var i = 0; i < plans.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (choices[plans[i]].Ranks is { } ranks)
            {
                progress?.Report($"factorizing {plans[i].Label} ({plans[i].Method} rank {LayerPlan.Text(ranks)}, {i + 1}/{plans.Count})");
            }
            record.Layers.Add(Rewrite(graph, plans[i], choices[plans[i]], ir, opset, sensitivity, macs));
        }
        if (choices.Values.All(c => c.Ranks is null))
        {
            // Every layer kept dense: the output would be the input. Say why, by the commonest reasons.
            var why = plans.Count == 0
                ? (skipped.Count == 0 ? "it has no Conv, Gemm or MatMul layer with constant weights" : $"all {skipped.Count} candidate layers were skipped ({Reasons.Commonest(skipped.Select(x => x.Reason), 2)})")
                : $"no layer is worth factorizing ({Reasons.Commonest(plans.Select(p => choices[p].KeptReason ?? "kept"), 2)})";
            throw new WorkFailedException($"factorize changed no layer of {model.SourcePath ?? "the model"}: {why}; no model written");
        }
        ListInitializersAsInputsIfRequired(output);
        var paramsAfter = CountParams(graph);
        record.Totals["params_before"] = paramsBefore;
        record.Totals["params_after"] = paramsAfter;
        record.Totals["params_ratio"] = paramsBefore == 0 ? 1 : (double)paramsAfter / paramsBefore;
        record.Totals["layers_factorized"] = choices.Values.Count(c => c.Ranks is not null);
        if (shapes is not null)
        {
            record.Totals["layer_macs_before"] = macs.Before;
            record.Totals["layer_macs_after"] = macs.After;
        }
        return new PassResult(output, record);
    }

    /// <summary>Layers the finder skipped become warnings (not "excluded" ones); a --rank given for one is refused.</summary>
    private void WarnSkipped(List<(NodeProto Node, string Reason)> skipped, PassRecord record)
    {
        foreach (var (node, reason) in skipped)
        {
            var label = OnnxGraph.NodeLabel(node);
            if (_options.NodeRanks.ContainsKey(label) || _options.NodeRanks.ContainsKey(node.Name))
            {
                throw new InputException($"--rank {label}: node '{label}' cannot be factorized: {reason}");
            }
            if (reason != "excluded")
            {
                record.Warnings.Add($"node '{label}' ({node.OpType}) skipped: {reason}");
            }
        }
    }

    /// <summary>Multiply-accumulates of the candidate layers before and after, summed where known.</summary>
    private sealed class MacTally
    {
        public long Before { get; set; }

        public long After { get; set; }
    }

    /// <summary>Rewrites one layer at its chosen ranks (or keeps it dense) and returns its record.</summary>
    private LayerRecord Rewrite(OnnxGraph graph, LayerPlan plan, RankChoice choice, long ir, long opset, OutputSensitivity? sensitivity, MacTally macs)
    {
        var bias = BiasCount(graph, plan.Node, ir);
        var dense = plan.DenseParams + bias;
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        if (plan.DenseMacs is { } dm)
        {
            metrics["macs_before"] = dm;
            macs.Before += dm;
        }
        if (choice.Ranks is null)
        {
            if (plan.DenseMacs is { } keptMacs)
            {
                metrics["macs_after"] = keptMacs;
                macs.After += keptMacs;
            }
            return new LayerRecord(plan.Label, plan.Node.OpType, $"kept: {choice.KeptReason}", dense, dense, metrics);
        }
        var result = plan.Rewrite(graph, choice.Ranks, _options, opset);
        RemoveIfUnused(graph, plan.WeightName);
        metrics["rank"] = choice.Ranks[0];
        if (choice.Ranks.Length > 1)
        {
            metrics["rank_out"] = choice.Ranks[1];
        }
        metrics["rel_error"] = result.RelativeError;
        metrics["predicted_rel_error"] = Math.Sqrt(plan.PredictedError(choice.Ranks));
        if (sensitivity is not null)
        {
            metrics["calibration_output_rel_error"] = Math.Sqrt(sensitivity.Error(plan, choice.Ranks));
        }
        if (plan.Macs(choice.Ranks) is { } am)
        {
            metrics["macs_after"] = am;
            macs.After += am;
        }
        return new LayerRecord(plan.Label, plan.Node.OpType, result.Detail, dense, plan.Params(choice.Ranks) + bias, metrics);
    }

    // Output-error sensitivity for a parameter target with calibration data; null (weight error) otherwise.
    private OutputSensitivity? MeasureSensitivity(OnnxModel model, List<LayerPlan> plans, long opset, PassRecord record,
        IProgress<string>? progress, CancellationToken cancellationToken)
    {
        if (_options.Selection != RankSelection.ParamsFraction || _options.Calibration is null || plans.Count == 0)
        {
            record.Settings["sensitivity"] = "weight error (data-free)";
            return null;
        }
        try
        {
            var sensitivity = OutputSensitivity.Measure(model, plans, _options, opset, progress, cancellationToken);
            record.Settings["sensitivity"] = $"output error on {_options.Calibration.Text} ({sensitivity.Samples} samples)";
            return sensitivity;
        }
        catch (Exception e) when (e is ModelRunException or DataException)
        {
            throw new InputException($"--calibration {_options.Calibration.Text}: {e.Message}", e);
        }
    }

    private void CheckNamedNodesExist(OnnxGraph graph)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in graph.Nodes)
        {
            names.Add(n.Name);
            names.Add(OnnxGraph.NodeLabel(n));
        }
        foreach (var name in _options.Exclude.Where(n => !names.Contains(n)))
        {
            throw new InputException($"--exclude {name}: no node with that name in the model");
        }
        foreach (var name in _options.NodeRanks.Keys.Where(n => !names.Contains(n)))
        {
            throw new InputException($"--rank {name}=...: no node with that name in the model");
        }
    }

    private static Dictionary<string, long[]>? Probe(OnnxModel model, List<Candidate> candidates, PassRecord record, IProgress<string>? progress)
    {
        if (candidates.Count == 0)
        {
            return null;
        }
        progress?.Report("running the model once to observe layer shapes");
        try
        {
            return ShapeProbe.Observe(model, candidates.SelectMany(c => new[] { c.DataInput, c.Node.Output[0] }).ToArray());
        }
        catch (Exception e) when (e is ModelRunException or DataException)
        {
            record.Warnings.Add($"MACs not counted: the model could not be run to observe shapes ({e.Message})");
            return null;
        }
    }

    private static NodeShapes? ShapesOf(Candidate c, Dictionary<string, long[]>? shapes) =>
        shapes is not null && shapes.TryGetValue(c.DataInput, out var input) && shapes.TryGetValue(c.Node.Output[0], out var output)
            ? new NodeShapes(input, output)
            : null;

    /// <summary>Elements of every initializer and Constant tensor: the model's parameters.</summary>
    public static long CountParams(OnnxGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        long total = graph.Proto.Initializer.Sum(TensorData.ElementCount);
        foreach (var n in graph.Nodes.Where(n => n.OpType == "Constant"))
        {
            if (n.Attribute.FirstOrDefault(a => a.Name == "value")?.T is { } t)
            {
                total += TensorData.ElementCount(t);
            }
        }
        return total;
    }

    private static long WeightCount(OnnxGraph graph, NodeProto node, long ir) =>
        node.Input.Take(2).Select(i => LayerFinder.Weight(graph, i, ir)).Where(t => t is not null).Sum(t => TensorData.ElementCount(t!))
        + BiasCount(graph, node, ir);

    private static long BiasCount(OnnxGraph graph, NodeProto node, long ir) =>
        node.Input.Count > 2 && LayerFinder.Weight(graph, node.Input[2], ir) is { } b ? TensorData.ElementCount(b) : 0;

    /// <summary>IR &lt; 4 requires every initializer to appear among the graph inputs; the new factor weights must too.</summary>
    internal static void ListInitializersAsInputsIfRequired(OnnxModel model)
    {
        if (model.Proto.IrVersion >= 4)
        {
            return;
        }
        var graph = model.Graph;
        var inputs = graph.Proto.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var t in graph.Proto.Initializer.Where(t => !inputs.Contains(t.Name)))
        {
            var shape = new TensorShapeProto();
            shape.Dim.AddRange(t.Dims.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }));
            graph.AddGraphInput(new ValueInfoProto
            {
                Name = t.Name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = t.DataType, Shape = shape } },
            });
        }
    }

    // The replaced weight goes unless another node still reads it (weights shared between layers stay).
    private static void RemoveIfUnused(OnnxGraph graph, string weight)
    {
        if (graph.Consumers(weight).Count > 0 || graph.IsGraphOutput(weight))
        {
            return;
        }
        if (graph.RemoveInitializer(weight))
        {
            return;
        }
        switch (graph.Producer(weight))
        {
            case { OpType: "Constant" } constant:
                graph.RemoveNode(constant);
                break;
            case { OpType: "Identity" } identity:
                graph.RemoveNode(identity);
                RemoveIfUnused(graph, identity.Input[0]);
                break;
            case { OpType: "Transpose" } transpose:
                // A folded Transpose(W): drop it, then W if nothing else reads it.
                graph.RemoveNode(transpose);
                RemoveIfUnused(graph, transpose.Input[0]);
                break;
        }
    }

    /// <summary>Formats a figure for reports.</summary>
    internal static string Format(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
