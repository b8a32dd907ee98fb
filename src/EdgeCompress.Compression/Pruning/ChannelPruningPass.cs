using System.Globalization;
using EdgeCompress.Compression.Passes;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Onnx;
using EdgeCompress.Runtime;

namespace EdgeCompress.Compression.Pruning;

/// <summary>
/// Structured channel pruning on the ONNX graph: removes whole output channels of Conv/Gemm/MatMul layers and every
/// slice that depends on them (BN parameters, next layers' input channels, depthwise groups, residual partners,
/// Concat/Split offsets, squeeze-excite gates, Flatten blocks), so the saved model is physically smaller and does
/// less work. Layers whose channels cannot be followed are skipped with the reason; the result is run in ONNX
/// Runtime and must keep the original output shapes.
/// </summary>
public sealed class ChannelPruningPass : ICompressionPass
{
    private readonly ChannelPruningOptions _options;

    /// <summary>Creates the pass; the options are validated on <see cref="Apply"/>.</summary>
    public ChannelPruningPass(ChannelPruningOptions options) => _options = options;

    /// <inheritdoc />
    public string Name => "prune-channels";

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
        record.Settings["ratio"] = _options.Ratio.ToString(CultureInfo.InvariantCulture);
        record.Settings["importance"] = _options.Importance.ToString();
        record.Settings["ranking"] = _options.Global ? "global" : "uniform";
        record.Settings["round_to"] = _options.RoundTo.ToString(CultureInfo.InvariantCulture);
        CheckNodeNames(model, _options.Exclude, "--exclude");
        CheckNodeNames(model, _options.Only, "--only");
        CheckNodeNames(model, _options.LayerRatios.Keys, "--layer-ratio");
        if (_options.TailRatio is { } tailRatio)
        {
            record.Settings["tail_ratio"] = tailRatio.ToString(CultureInfo.InvariantCulture);
        }
        if (_options.LayerRatios.Count > 0)
        {
            record.Settings["layer_ratios"] = string.Join(",", _options.LayerRatios.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}={kv.Value}")));
        }

        var pruned = new OnnxModel(model.Proto.Clone());
        var unshared = SharedConstantSplitting.Run(pruned.Graph);
        if (unshared > 0)
        {
            record.Totals["shared_constants_copied"] = unshared;
        }
        var label = model.SourcePath is null ? "model" : Path.GetFileName(model.SourcePath);
        progress?.Report("observing shapes with ONNX Runtime");
        var shapes = ObservedShapes.Observe(pruned, label);
        var (paramsBefore, macsBefore) = shapes.Cost(pruned);
        var graph = DependencyGraph.Build(pruned, shapes);
        var candidates = Candidates(graph, record);
        if (candidates.Count == 0)
        {
            throw new WorkFailedException($"channel pruning removed nothing from {label}: {WhyNoCandidates(graph)}; no model written");
        }
        cancellationToken.ThrowIfCancellationRequested();

        progress?.Report($"scoring {candidates.Count} channel groups by {_options.Importance}");
        var scores = _options.Importance == ChannelImportanceKind.Taylor
            ? TaylorImportance.Score(pruned, graph, candidates, _options, progress, cancellationToken)
            : ChannelImportance.FromWeights(graph, candidates, _options.Importance, record.Warnings);
        var ratios = GroupRatios(graph, shapes, candidates, record);
        var keep = ChannelSelector.Select(scores, _options.Ratio, _options.Global, _options.RoundTo, root => ratios.GetValueOrDefault(root, _options.Ratio), graph.Spaces.UnitOf);

        var layerParamsBefore = LayerParams(graph);
        foreach (var site in graph.Sites)
        {
            site.Apply(graph.Store, keep, graph.Spaces.Find);
        }
        ForgetStaleShapes(pruned, graph);
        var layerParamsAfter = LayerParams(graph);
        long channelsRemoved = 0;
        foreach (var root in candidates)
        {
            var count = graph.Spaces.CountOf(root);
            var kept = keep.TryGetValue(root, out var k) ? k.Length : count;
            var unit = graph.Spaces.UnitOf(root);
            channelsRemoved += (long)(count - kept) * unit;
            foreach (var p in graph.Spaces.Producers(root))
            {
                var name = OnnxGraph.NodeLabel(p);
                var what = unit > 1 ? $"heads of {unit}" : "channels";
                record.Layers.Add(new LayerRecord(name, p.OpType, $"pruned {count - kept}/{count} {what}",
                    layerParamsBefore.GetValueOrDefault(name), layerParamsAfter.GetValueOrDefault(name)));
            }
        }

        // Channels a model output fixes (logits, a vocabulary) are not ones a ratio can ask for.
        var askable = graph.Spaces.Roots().Where(r => graph.Spaces.Producers(r).Count > 0 && !graph.IsModelOutput(r)).ToList();
        var channelsTotal = askable.Sum(r => (long)graph.Spaces.CountOf(r) * graph.Spaces.UnitOf(r));
        if (channelsRemoved == 0)
        {
            throw new WorkFailedException(string.Create(CultureInfo.InvariantCulture,
                $"channel pruning removed nothing from {label}: ratio {_options.Ratio} with round-to {_options.RoundTo} keeps every channel of the {candidates.Count} prunable layer group(s) (the smallest has {candidates.Min(graph.Spaces.CountOf)} channels); raise --channels or lower --round-to; no model written"));
        }
        record.Totals["channels_total"] = channelsTotal;
        record.Totals["channels_removed"] = channelsRemoved;
        if (channelsTotal > 0 && (double)channelsRemoved / channelsTotal < _options.Ratio / 2)
        {
            var blocked = askable.Count(r => graph.Spaces.BlockReasons(r).Count > 0);
            record.Warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"did less than asked: removed {channelsRemoved:N0} of {channelsTotal:N0} output channels ({100.0 * channelsRemoved / channelsTotal:F1}%, asked {_options.Ratio * 100:0.#}%; channels that are model outputs not counted); {blocked} layer group(s) could not be pruned (see the warnings above)"));
        }

        if (_options.RecalibrateBatchNorm is { } data)
        {
            var n = BatchNormRecalibration.Run(pruned, data, _options.RecalibrationRows, progress, cancellationToken);
            record.Settings["bn_recalibrated"] = n.ToString(CultureInfo.InvariantCulture);
        }

        progress?.Report("checking the pruned model in ONNX Runtime");
        var after = ObservedShapes.Observe(pruned, label + " (pruned)");
        CheckOutputs(shapes, after, label);
        var (paramsAfter, macsAfter) = after.Cost(pruned);
        record.Totals["params_before"] = paramsBefore;
        record.Totals["params_after"] = paramsAfter;
        record.Totals["macs_before"] = macsBefore;
        record.Totals["macs_after"] = macsAfter;
        record.Totals["bytes_before"] = model.Proto.CalculateSize();
        record.Totals["bytes_after"] = pruned.Proto.CalculateSize();
        return new PassResult(pruned, record);
    }

    /// <summary>Why no layer group can be pruned: the commonest block reasons with their counts.</summary>
    private static string WhyNoCandidates(DependencyGraph graph)
    {
        var withProducers = graph.Spaces.Roots().Where(r => graph.Spaces.Producers(r).Count > 0).ToList();
        if (withProducers.Count == 0)
        {
            return "it has no Conv, ConvTranspose, Gemm or MatMul layer with output channels";
        }
        var reasons = withProducers.Select(r => graph.Spaces.BlockReasons(r) is { Count: > 0 } br ? br[0] : "excluded by --exclude/--only");
        return $"none of its {withProducers.Count} layer groups can be pruned ({Reasons.Commonest(reasons, 3)})";
    }

    /// <summary>The groups that may be pruned: they have a producing layer, are not blocked and not excluded.</summary>
    private List<int> Candidates(DependencyGraph graph, PassRecord record)
    {
        var result = new List<int>();
        var only = _options.Only.ToHashSet(StringComparer.Ordinal);
        var exclude = _options.Exclude.ToHashSet(StringComparer.Ordinal);
        foreach (var root in graph.Spaces.Roots())
        {
            var producers = graph.Spaces.Producers(root);
            if (producers.Count == 0)
            {
                continue;
            }
            var names = producers.Select(OnnxGraph.NodeLabel).ToList();
            var groupLabel = string.Join(" + ", names);
            var reasons = graph.Spaces.BlockReasons(root);
            var asked = names.Any(only.Contains);
            if (reasons.Count > 0)
            {
                if (asked)
                {
                    throw new InputException($"layer {names.First(only.Contains)} cannot be pruned: {reasons[0]}");
                }
                record.Warnings.Add($"layer {groupLabel} not pruned: {reasons[0]}");
                continue;
            }
            if (names.Any(exclude.Contains) || (only.Count > 0 && !asked))
            {
                continue;
            }
            result.Add(root);
        }
        return result;
    }

    /// <summary>
    /// Groups whose ratio differs from the base one: named in LayerRatios (by any producing layer), else, with a
    /// tail ratio, those producing the smallest spatial size among the candidates (rank-4 outputs only).
    /// </summary>
    private Dictionary<int, double> GroupRatios(DependencyGraph graph, ObservedShapes shapes, List<int> candidates, PassRecord record)
    {
        var result = new Dictionary<int, double>();
        var spatial = new Dictionary<int, long>();
        foreach (var root in candidates)
        {
            var producers = graph.Spaces.Producers(root);
            if (producers.Select(p => shapes.Dims(p.Output[0])).FirstOrDefault(d => d is { Length: 4 }) is { } dims)
            {
                spatial[root] = dims[2] * dims[3];
            }
            if (producers.Select(OnnxGraph.NodeLabel).FirstOrDefault(_options.LayerRatios.ContainsKey) is { } named)
            {
                result[root] = _options.LayerRatios[named];
            }
        }
        if (_options.TailRatio is { } tail)
        {
            if (spatial.Count == 0)
            {
                record.Warnings.Add("--tail-ratio: no prunable layer has a spatial (NCHW) output; every layer got the base ratio");
                return result;
            }
            var smallest = spatial.Values.Min();
            // When every layer shares one size there is no tail to treat differently.
            if (spatial.Values.Any(v => v != smallest))
            {
                foreach (var (root, _) in spatial.Where(kv => kv.Value == smallest && !result.ContainsKey(kv.Key)))
                {
                    result[root] = tail;
                }
            }
        }
        return result;
    }

    private static void CheckNodeNames(OnnxModel model, IEnumerable<string> names, string option)
    {
        var known = model.Graph.Nodes.Select(OnnxGraph.NodeLabel).ToHashSet(StringComparer.Ordinal);
        foreach (var n in names.Where(n => !known.Contains(n)))
        {
            throw new InputException($"{option}: the model has no node named '{n}'");
        }
    }

    private static Dictionary<string, long> LayerParams(DependencyGraph graph)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var site in graph.Sites.OfType<ParamSlice>().Where(s => s.Role is SiteRole.ProducerWeight or SiteRole.ProducerBias))
        {
            var name = OnnxGraph.NodeLabel(site.Node);
            result[name] = site.Node.Input.Select(graph.Store.Find).Where(t => t is not null).Sum(t => TensorData.ElementCount(t!));
        }
        return result;
    }

    /// <summary>Shapes recorded in value_info for pruned values are now wrong; dropping them lets runtimes infer.</summary>
    private static void ForgetStaleShapes(OnnxModel model, DependencyGraph graph) =>
        model.Graph.RemoveValueInfo(v => graph.Layouts.ContainsKey(v.Name));

    private static void CheckOutputs(ObservedShapes before, ObservedShapes after, string label)
    {
        foreach (var (b, a) in before.Outputs.Zip(after.Outputs))
        {
            if (!b.Dims.SequenceEqual(a.Dims))
            {
                throw new ModelRunException(
                    $"{label}: pruning changed output '{b.Name}' from [{string.Join(",", b.Dims)}] to [{string.Join(",", a.Dims)}]; this is a bug in the dependency rules");
            }
        }
    }
}
