using System.Globalization;
using System.IO.Compression;
using EdgeCompress.Compression.Passes;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Pruning;

/// <summary>
/// Unstructured magnitude pruning: the smallest weights of Conv/Gemm/MatMul layers become zero, with one threshold
/// for all layers (global) or each layer reaching the sparsity on its own. The tensors keep their shapes, so the
/// file only shrinks once compressed, and ONNX Runtime's CPU kernels run dense: no speed-up. The first and last
/// layers are left alone by default because accuracy is most sensitive there.
/// </summary>
public sealed class UnstructuredPruningPass : ICompressionPass
{
    /// <summary>Said in every report: users expect speed from sparsity and ORT on CPU gives none.</summary>
    public const string SpeedNote =
        "note: ONNX Runtime's CPU kernels do not skip zeros: unstructured sparsity makes the file compress better but does not make inference faster; use --channels for speed";

    private readonly UnstructuredPruningOptions _options;

    /// <summary>Creates the pass; the options are validated on <see cref="Apply"/>.</summary>
    public UnstructuredPruningPass(UnstructuredPruningOptions options) => _options = options;

    /// <inheritdoc />
    public string Name => "prune-unstructured";

    /// <inheritdoc />
    public PassResult Apply(OnnxModel model, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        _options.Validate();
        if (Float16Bridge.TryRun(model, m => Apply(m, progress, cancellationToken)) is { } float16)
        {
            return float16;
        }
        var known = model.Graph.Nodes.Select(OnnxGraph.NodeLabel).ToHashSet(StringComparer.Ordinal);
        foreach (var name in _options.Exclude.Where(n => !known.Contains(n)))
        {
            throw new InputException($"--exclude: the model has no node named '{name}'");
        }
        var record = new PassRecord(Name);
        record.Settings["sparsity"] = _options.Sparsity.ToString(CultureInfo.InvariantCulture);
        record.Settings["ranking"] = _options.PerLayer ? "per-layer" : "global";
        var pruned = new OnnxModel(model.Proto.Clone());
        var store = new ParamStore(pruned.Graph);
        var layers = pruned.Graph.TopologicalOrder()
            .Where(n => n.OpType is "Conv" or "Gemm" or "MatMul" && n.Input.Count > 1 && store.Find(n.Input[1]) is { } w
                && TensorData.TypeOf(w) == TensorProto.Types.DataType.Float)
            .GroupBy(n => n.Input[1], StringComparer.Ordinal).Select(g => g.First())
            .ToList();
        if (layers.Count == 0)
        {
            throw new InputException("the model has no Conv, Gemm or MatMul layer with constant float weights to prune");
        }
        var eligible = new List<NodeProto>();
        for (var i = 0; i < layers.Count; i++)
        {
            var name = OnnxGraph.NodeLabel(layers[i]);
            var edge = !_options.IncludeFirstAndLast && layers.Count > 2 && (i == 0 || i == layers.Count - 1);
            var reason = _options.Exclude.Contains(name) ? "kept dense: excluded" : edge ? "kept dense: first/last layer" : null;
            if (reason is null)
            {
                eligible.Add(layers[i]);
            }
            else
            {
                var count = TensorData.ElementCount(store.Find(layers[i].Input[1])!);
                record.Layers.Add(new LayerRecord(name, layers[i].OpType, reason, count, count, new Dictionary<string, double> { ["sparsity"] = Sparsity(store, layers[i]) }));
            }
        }
        var weights = eligible.ToDictionary(n => n, n => TensorData.ToFloats(store.Find(n.Input[1])!));
        var globalThreshold = _options.PerLayer ? 0f : Threshold(weights.Values.SelectMany(v => v), _options.Sparsity);
        foreach (var n in eligible)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var values = weights[n];
            var threshold = _options.PerLayer ? Threshold(values, _options.Sparsity) : globalThreshold;
            for (var i = 0; i < values.Length; i++)
            {
                if (Math.Abs(values[i]) <= threshold)
                {
                    values[i] = 0;
                }
            }
            var tensor = store.Find(n.Input[1])!;
            TensorData.SetValues<float>(tensor, tensor.Dims.ToArray(), values);
            record.Layers.Add(new LayerRecord(OnnxGraph.NodeLabel(n), n.OpType, "pruned", values.Length, values.Length,
                new Dictionary<string, double> { ["sparsity"] = Sparsity(store, n) }));
        }
        // Report layers in graph order, dense ones among the pruned.
        var order = layers.Select((n, i) => (OnnxGraph.NodeLabel(n), i)).ToDictionary(p => p.Item1, p => p.i, StringComparer.Ordinal);
        record.Layers.Sort((a, b) => order[a.Node].CompareTo(order[b.Node]));
        var before = model.ToBytes();
        var after = pruned.ToBytes();
        var all = layers.Sum(l => TensorData.ElementCount(store.Find(l.Input[1])!));
        record.Totals["weights"] = all;
        record.Totals["zeros"] = layers.Sum(l => TensorData.ToFloats(store.Find(l.Input[1])!).Count(v => v == 0));
        record.Totals["bytes_before"] = before.Length;
        record.Totals["bytes_after"] = after.Length;
        record.Totals["gzip_bytes_before"] = GzipBytes(before);
        record.Totals["gzip_bytes_after"] = GzipBytes(after);
        var zeros = record.Totals["zeros"];
        if (all > 0 && (double)zeros / all < _options.Sparsity - 0.01)
        {
            // Dense first/last layers and weights the pass cannot reach (not constant float) count in the model's
            // total: say how far the result is from what was asked, and why.
            var dense = record.Layers.Where(l => l.Action.StartsWith("kept dense", StringComparison.Ordinal)).Sum(l => l.ParamsAfter);
            var unreachable = UnreachableWeights(pruned, store);
            record.Warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"did less than asked: {100.0 * zeros / all:F2}% of the {all:N0} layer weights are zero (asked {_options.Sparsity * 100:0.#}%); {dense:N0} weights in layers kept dense (first/last or --exclude; --all-layers prunes first and last too)")
                + (unreachable > 0 ? string.Create(CultureInfo.InvariantCulture, $"; {unreachable:N0} weights not constant float32 (fp16, int8 or computed) were not considered") : ""));
        }
        record.Warnings.Add(SpeedNote);
        return new PassResult(pruned, record);
    }

    /// <summary>Weights of Conv/Gemm/MatMul layers whose weight is not a constant float32 tensor (the pass skips them).</summary>
    private static long UnreachableWeights(OnnxModel model, ParamStore store) =>
        model.Graph.Nodes.Where(n => n.OpType is "Conv" or "Gemm" or "MatMul" && n.Input.Count > 1)
            .Select(n => store.Find(n.Input[1]))
            .Where(w => w is not null && TensorData.TypeOf(w) != TensorProto.Types.DataType.Float)
            .Sum(w => TensorData.ElementCount(w!));

    /// <summary>The magnitude at or below which a fraction <paramref name="sparsity"/> of the values lie.</summary>
    private static float Threshold(IEnumerable<float> values, double sparsity)
    {
        var magnitudes = values.Select(Math.Abs).ToArray();
        var k = (int)Math.Floor(sparsity * magnitudes.Length);
        if (k == 0)
        {
            return -1;
        }
        Array.Sort(magnitudes);
        return magnitudes[k - 1];
    }

    private static double Sparsity(ParamStore store, NodeProto n)
    {
        var v = TensorData.ToFloats(store.Find(n.Input[1])!);
        return v.Length == 0 ? 0 : v.Count(x => x == 0) / (double)v.Length;
    }

    /// <summary>Size of the bytes after gzip (in memory): what the file costs in a compressed download or store.</summary>
    public static long GzipBytes(byte[] bytes)
    {
        using var sink = new MemoryStream();
        using (var gz = new GZipStream(sink, CompressionLevel.Optimal, leaveOpen: true))
        {
            gz.Write(bytes);
        }
        return sink.Length;
    }
}
