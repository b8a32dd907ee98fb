using EdgeCompress.Compression.Passes;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using EdgeCompress.Calibration;

namespace EdgeCompress.Compression.Quantization;

/// <summary>
/// Static int8 quantization in QDQ form: activations get QuantizeLinear/DequantizeLinear pairs with calibrated
/// asymmetric parameters, weights become symmetric int8 (per output channel by default) behind a DequantizeLinear,
/// biases int32 with scale = input scale x weight scale. ONNX Runtime fuses each DQ -> op -> Q group into an
/// integer kernel (QLinearConv, QGemm, ...). Input: a prepared float model and the calibrated ranges of its tensors.
/// Per-channel weights need opset 13 (<see cref="GraphPrep.OpsetUpgrade"/> lifts what it can); an older model gets
/// per-tensor weights, and the record says so.
/// </summary>
public sealed class StaticQuantizer : ICompressionPass
{
    private readonly QuantizationOptions _options;
    private readonly IReadOnlyDictionary<string, FloatRange> _ranges;

    /// <summary>Creates the pass over calibrated ranges (tensor name -> range, float tensors only).</summary>
    public StaticQuantizer(QuantizationOptions options, IReadOnlyDictionary<string, FloatRange> ranges)
    {
        _options = options;
        _ranges = ranges;
    }

    /// <inheritdoc />
    public string Name => "quantize-static";

    /// <inheritdoc />
    public PassResult Apply(OnnxModel model, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        QuantizedModelCheck.ThrowIfQuantized(model);
        var output = new OnnxModel(model.Proto.Clone());
        var graph = output.Graph;
        var record = new PassRecord(Name);
        record.Settings["activations"] = _options.Activations == ActivationType.S8 ? "int8 (S8S8)" : "uint8 (U8S8)";
        var opset = output.OpsetVersion() ?? 1;
        var perChannel = _options.PerChannel && opset >= QdqBuilder.PerAxisOpset;
        record.Settings["weights"] = perChannel ? "int8 symmetric per-channel"
            : _options.PerChannel ? $"int8 symmetric per-tensor (per-channel needs opset {QdqBuilder.PerAxisOpset}; the model is opset {opset})"
            : "int8 symmetric per-tensor";
        record.Totals["per_channel"] = perChannel ? 1 : 0;
        record.Settings["reduce_range"] = _options.ReduceRange ? "yes" : "no";
        var plan = QdqPlanner.Build(graph, new HashSet<string>(_ranges.Keys, StringComparer.Ordinal), _options.Exclude);
        var qdq = new QdqBuilder(output);
        var actType = QuantMath.OnnxType(_options.Activations);
        var parameters = plan.Tensors.ToDictionary(t => t, t => QuantMath.ForActivation(_ranges[Root(plan, t)], _options.Activations), StringComparer.Ordinal);

        foreach (var (node, relu) in plan.FoldedActivations)
        {
            graph.SetOutput(node, 0, relu.Output[0]);
            graph.RemoveNode(relu);
        }

        var weightCache = new Dictionary<(string, int?), (string Dq, float[] Scales)>();
        foreach (var node in plan.Quantized)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var before = WeightBytes(graph, node);
            QuantizeConstants(graph, qdq, node, parameters, weightCache, perChannel, record);
            record.Layers.Add(new LayerRecord(OnnxGraph.NodeLabel(node), node.OpType, "quantized int8", before / 4, before / 4,
                new Dictionary<string, double> { ["weight_bytes_before"] = before, ["weight_bytes_after"] = before / 4.0 }));
        }
        foreach (var (node, reason) in plan.KeptFloat)
        {
            record.Layers.Add(new LayerRecord(OnnxGraph.NodeLabel(node), node.OpType, $"kept float: {reason}", WeightBytes(graph, node) / 4, WeightBytes(graph, node) / 4));
        }
        // QDQ has no recurrent form in ONNX Runtime: say where the int8 path for these is instead of skipping them silently.
        foreach (var node in graph.Nodes.Where(n => (n.Domain ?? "").Length == 0 && n.OpType is "LSTM" or "GRU" or "RNN"))
        {
            var hint = node.OpType == "LSTM" ? "--mode dynamic quantizes LSTM weights" : "ONNX Runtime has no int8 kernel for it";
            record.Layers.Add(new LayerRecord(OnnxGraph.NodeLabel(node), node.OpType, $"kept float: static QDQ does not cover recurrent layers; {hint}",
                WeightBytes(graph, node) / 4, WeightBytes(graph, node) / 4));
        }
        foreach (var gather in EmbeddingGathers(graph, _options.Exclude))
        {
            QuantizeEmbedding(graph, qdq, gather, plan, parameters, record);
        }
        foreach (var tied in plan.TiedTo.Keys)
        {
            // A shape op after an embedding lookup keeps sharing the (now table's) parameters of what it reads.
            parameters[tied] = parameters[Root(plan, tied)];
        }
        foreach (var tensor in plan.Tensors.Order(StringComparer.Ordinal))
        {
            InsertPair(graph, qdq, tensor, parameters[tensor], actType);
        }
        graph.AddNodes(qdq.Added);
        graph.RemoveUnused();
        graph.SortTopologically();
        record.Totals["layers_quantized"] = plan.Quantized.Count;
        record.Totals["layers_float"] = plan.KeptFloat.Count;
        record.Totals["activations_folded"] = plan.FoldedActivations.Count;
        record.Totals["tensors_quantized"] = plan.Tensors.Count;
        progress?.Report($"quantized {plan.Quantized.Count} layers, {plan.KeptFloat.Count} kept float");
        return new PassResult(output, record);
    }

    /// <summary>Smallest embedding table worth an int8 copy (elements).</summary>
    private const int MinEmbeddingElements = 1024;

    /// <summary>Gather nodes that look rows up in a float table held as a constant (token and position embeddings).</summary>
    private static List<NodeProto> EmbeddingGathers(OnnxGraph graph, IReadOnlySet<string> exclude) =>
        graph.Nodes.Where(n => (n.Domain ?? "").Length == 0 && n.OpType == "Gather" && n.Input.Count == 2 && n.Output.Count == 1
            && !exclude.Contains(n.Name) && !exclude.Contains(OnnxGraph.NodeLabel(n))
            && graph.GetConstant(n.Input[0]) is { DataType: (int)TensorProto.Types.DataType.Float } table
            && table.Dims.Count == 2 && table.Dims[0] * table.Dims[1] >= MinEmbeddingElements
            && graph.GetConstant(n.Input[1]) is null)
        .ToList();

    /// <summary>
    /// An embedding table becomes int8 in the activation type (symmetric: zero point 0 for int8, 128 for uint8) behind a
    /// DequantizeLinear, and the Gather's output gets a Q/DQ pair with the very same parameters, so ONNX Runtime drops
    /// both and looks rows up in the int8 table (a table dequantized whole on every run would be slower than float).
    /// The output's calibrated parameters, when a quantized consumer asked for them, give way to the table's: the rows
    /// are the table's values, so its range holds them.
    /// </summary>
    private void QuantizeEmbedding(OnnxGraph graph, QdqBuilder qdq, NodeProto gather, QdqPlan plan, Dictionary<string, QuantParams> parameters, PassRecord record)
    {
        var table = graph.GetConstant(gather.Input[0])!;
        var before = TensorData.ByteSize(table);
        var (q, scales) = QuantMath.QuantizeWeights(TensorData.ToFloats(table), [.. table.Dims], axis: null, reduceRange: false);
        graph.SetInput(gather, 0, qdq.Weight(gather.Input[0], q, [.. table.Dims], scales, axis: null, QuantMath.OnnxType(_options.Activations)));
        var zeroPoint = _options.Activations == ActivationType.S8 ? 0 : 128;
        var output = gather.Output[0];
        plan.Tensors.Add(output);
        parameters[output] = new QuantParams(scales[0], zeroPoint);
        record.Layers.Add(new LayerRecord(OnnxGraph.NodeLabel(gather), gather.OpType, "quantized int8 (embedding table)", before / 4, before / 4,
            new Dictionary<string, double> { ["weight_bytes_before"] = before, ["weight_bytes_after"] = before / 4.0 }));
        record.Totals["embeddings_quantized"] = record.Totals.GetValueOrDefault("embeddings_quantized") + 1;
    }

    private static string Root(QdqPlan plan, string tensor)
    {
        while (plan.TiedTo.TryGetValue(tensor, out var source))
        {
            tensor = source;
        }
        return tensor;
    }

    private static long WeightBytes(OnnxGraph graph, NodeProto node) =>
        node.Input.Where(i => i.Length > 0).Select(graph.GetConstant).Where(t => t is not null).Sum(t => TensorData.ByteSize(t!));

    private void QuantizeConstants(OnnxGraph graph, QdqBuilder qdq, NodeProto node, Dictionary<string, QuantParams> parameters,
        Dictionary<(string, int?), (string Dq, float[] Scales)> cache, bool perChannel, PassRecord record)
    {
        for (var i = 0; i < node.Input.Count; i++)
        {
            var name = node.Input[i];
            var tensor = name.Length == 0 ? null : graph.GetConstant(name);
            if (tensor is null)
            {
                continue;
            }
            if (i == 2 && node.OpType is "Conv" or "ConvTranspose" or "Gemm")
            {
                // Biases are quantized with their weight, once the weight scales are known.
                continue;
            }
            var axis = perChannel ? WeightAxis(node, i, tensor) : null;
            if (!cache.TryGetValue((name, axis), out var w))
            {
                var (q, scales) = QuantMath.QuantizeWeights(TensorData.ToFloats(tensor), tensor.Dims.ToArray(), axis, _options.ReduceRange);
                w = (qdq.Weight(name, q, tensor.Dims.ToArray(), scales, axis), scales);
                cache[(name, axis)] = w;
            }
            graph.SetInput(node, i, w.Dq);
            if (i == 1 && node.Input.Count > 2 && node.Input[2].Length > 0)
            {
                QuantizeBias(graph, qdq, node, parameters[node.Input[0]], w.Scales, record);
            }
        }
    }

    private static int? WeightAxis(NodeProto node, int index, TensorProto weight)
    {
        if (index != 1)
        {
            return null;
        }
        return node.OpType switch
        {
            "Conv" => (int?)0,
            "ConvTranspose" when node.GetInt("group", 1) == 1 => 1,
            "Gemm" => node.GetInt("transB", 0) != 0 ? 0 : 1,
            // A constant 2-D B [K, N]: one scale per output column, which ONNX Runtime's int8 MatMul kernels take.
            "MatMul" when weight.Dims.Count == 2 => 1,
            _ => null,
        } is { } axis && weight.Dims.Count > axis && weight.Dims[axis] > 1 ? axis : null;
    }

    private static void QuantizeBias(OnnxGraph graph, QdqBuilder qdq, NodeProto node, QuantParams input, float[] weightScales, PassRecord record)
    {
        var bias = graph.GetConstant(node.Input[2]);
        if (bias is null || bias.Dims.Count != 1
            || (node.OpType == "Gemm" && (node.GetFloat("alpha", 1f) != 1f || node.GetFloat("beta", 1f) != 1f)))
        {
            return;
        }
        var values = TensorData.ToFloats(bias);
        if (weightScales.Length != 1 && weightScales.Length != values.Length)
        {
            return;
        }
        var scales = weightScales.Length == 1 && values.Length > 1
            ? Enumerable.Repeat(input.Scale * weightScales[0], 1).ToArray()
            : weightScales.Select(s => input.Scale * s).ToArray();
        var dq = qdq.Bias(node.Input[2], values, scales);
        if (dq is null)
        {
            record.Warnings.Add($"{OnnxGraph.NodeLabel(node)}: bias too large for int32 at this scale; kept float");
            return;
        }
        graph.SetInput(node, 2, dq);
    }

    private static void InsertPair(OnnxGraph graph, QdqBuilder qdq, string tensor, QuantParams p, TensorProto.Types.DataType type)
    {
        var scale = qdq.Floats(tensor + "/s", [p.Scale], true);
        var zp = qdq.ZeroPoints(tensor + "/z", type, [p.ZeroPoint], true);
        if (graph.IsGraphOutput(tensor))
        {
            // Keep the output's name on the DQ; the producer writes a new float name.
            var producer = graph.Producer(tensor);
            if (producer is null)
            {
                return;
            }
            var raw = graph.UniqueName(tensor + "/f");
            for (var i = 0; i < producer.Output.Count; i++)
            {
                if (producer.Output[i] == tensor)
                {
                    graph.SetOutput(producer, i, raw);
                }
            }
            var q0 = qdq.Quantize(raw, scale, zp);
            qdq.Dequantize(q0, scale, zp, output: tensor);
            return;
        }
        var consumers = graph.Consumers(tensor).ToList();
        var q = qdq.Quantize(tensor, scale, zp);
        var dq = qdq.Dequantize(q, scale, zp);
        foreach (var c in consumers)
        {
            graph.ReplaceInput(c, tensor, dq);
        }
    }
}
