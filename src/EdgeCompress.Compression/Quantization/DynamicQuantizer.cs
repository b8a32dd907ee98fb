using EdgeCompress.Compression.Passes;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Quantization;

/// <summary>
/// Dynamic int8 quantization for MatMul/Gemm-heavy models: weights become int8 (per column with per-channel), the
/// activation is quantized at run time per batch. Written as DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul
/// (standard ONNX, which ONNX Runtime fuses into its DynamicQuantizeMatMul kernel); models below opset 11 get that
/// com.microsoft kernel directly. LSTMs with constant weights become com.microsoft DynamicQuantizeLSTM (see
/// <see cref="RecurrentQuantizer"/>); GRU and RNN, which ONNX Runtime has no int8 kernel for, stay float (or, with
/// <see cref="QuantizationOptions.WeightOnlyRecurrent"/>, get int8 weight storage only), with a warning naming them.
/// No calibration data is needed. Convolutions stay float: static mode is the tool for them.
/// </summary>
public sealed class DynamicQuantizer : ICompressionPass
{
    private readonly QuantizationOptions _options;

    /// <summary>Creates the pass.</summary>
    public DynamicQuantizer(QuantizationOptions options) => _options = options;

    /// <inheritdoc />
    public string Name => "quantize-dynamic";

    /// <inheritdoc />
    public PassResult Apply(OnnxModel model, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        QuantizedModelCheck.ThrowIfQuantized(model);
        var output = new OnnxModel(model.Proto.Clone());
        var graph = output.Graph;
        var record = new PassRecord(Name);
        record.Settings["weights"] = _options.PerChannel ? "int8 symmetric per-column" : "int8 symmetric per-tensor";
        record.Settings["activations"] = "uint8, quantized at run time";
        var standard = (output.OpsetVersion() ?? 1) >= 11;
        if (!standard && output.OpsetVersion(QdqBuilder.MsDomain) is null)
        {
            output.Proto.OpsetImport.Add(new OperatorSetIdProto { Domain = QdqBuilder.MsDomain, Version = 1 });
        }
        var added = new List<NodeProto>();
        var quantizedInputs = new Dictionary<string, (string Q, string Scale, string Zp)>(StringComparer.Ordinal);
        var quantized = 0;
        var kept = 0;
        var weightOnly = 0;
        QdqBuilder? qdq = null;
        foreach (var node in graph.TopologicalOrder().ToList())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if ((node.Domain ?? "").Length != 0 || node.OpType is not ("MatMul" or "Gemm" or "Conv" or "ConvTranspose" or "LSTM" or "GRU" or "RNN"))
            {
                continue;
            }
            var label = OnnxGraph.NodeLabel(node);
            var why = Ineligible(graph, node);
            if (why is null && (_options.Exclude.Contains(node.Name) || _options.Exclude.Contains(label)))
            {
                why = "excluded";
            }
            var weight = node.Input.Count > 1 ? graph.GetConstant(node.Input[1]) : null;
            var bytes = weight is null ? 0 : TensorData.ByteSize(weight);
            if (why is not null)
            {
                record.Layers.Add(new LayerRecord(label, node.OpType, $"kept float: {why}", bytes / 4, bytes / 4));
                if (node.OpType is "LSTM" or "GRU" or "RNN" && why != "excluded")
                {
                    record.Warnings.Add($"{node.OpType} '{label}' kept float: {why}");
                }
                kept++;
                continue;
            }
            if (node.OpType == "LSTM")
            {
                QuantizeLstm(output, graph, node, label, added, record);
                quantized++;
                continue;
            }
            if (node.OpType is "GRU" or "RNN" && !_options.WeightOnlyRecurrent)
            {
                record.Layers.Add(new LayerRecord(label, node.OpType, "kept float: ONNX Runtime has no int8 kernel for it (--weight-only-recurrent stores its weights int8)", bytes / 4, bytes / 4));
                record.Warnings.Add($"{node.OpType} '{label}': {RecurrentQuantizer.Note(node, weightOnly: false)}");
                kept++;
                continue;
            }
            if (node.OpType is "GRU" or "RNN")
            {
                qdq ??= new QdqBuilder(output);
                var floatBytes = RecurrentQuantizer.WeightOnly(graph, qdq, node, _options.PerChannel, _options.ReduceRange);
                record.Layers.Add(new LayerRecord(label, node.OpType, "int8 weights, float compute", floatBytes / 4, floatBytes / 4,
                    new Dictionary<string, double> { ["weight_bytes_before"] = floatBytes, ["weight_bytes_after"] = floatBytes / 4.0 }));
                record.Warnings.Add($"{node.OpType} '{label}': {RecurrentQuantizer.Note(node, weightOnly: true)}");
                weightOnly++;
                continue;
            }
            Rewrite(graph, node, weight!, standard, added, quantizedInputs);
            record.Layers.Add(new LayerRecord(label, node.OpType, "quantized int8 (dynamic)", bytes / 4, bytes / 4,
                new Dictionary<string, double> { ["weight_bytes_before"] = bytes, ["weight_bytes_after"] = bytes / 4.0 }));
            quantized++;
        }
        graph.AddNodes(added);
        if (qdq is not null)
        {
            graph.AddNodes(qdq.Added);
        }
        graph.RemoveUnused();
        graph.SortTopologically();
        record.Totals["layers_quantized"] = quantized;
        record.Totals["layers_float"] = kept;
        record.Totals["layers_weight_only"] = weightOnly;
        progress?.Report($"quantized {quantized} layers dynamically, {weightOnly} with int8 weights only, {kept} kept float");
        return new PassResult(output, record);
    }

    private static string? Ineligible(OnnxGraph graph, NodeProto node)
    {
        if (node.OpType is "Conv" or "ConvTranspose")
        {
            return "dynamic mode covers MatMul/Gemm; use --mode static for convolutions";
        }
        if (node.OpType is "LSTM" or "GRU" or "RNN")
        {
            return RecurrentQuantizer.Ineligible(graph, node);
        }
        if (graph.GetConstant(node.Input[0]) is not null)
        {
            return "no activation input";
        }
        var w = graph.GetConstant(node.Input[1]);
        if (w is null || w.Dims.Count != 2 || TensorData.TypeOf(w) != TensorProto.Types.DataType.Float)
        {
            return "weight is not a 2-D float32 constant";
        }
        if (node.OpType == "Gemm" && node.GetInt("transA", 0) != 0)
        {
            return "Gemm with transA";
        }
        if (node.OpType == "Gemm" && node.Input.Count > 2 && node.Input[2].Length > 0 && graph.GetConstant(node.Input[2]) is null)
        {
            return "bias is not a constant";
        }
        return null;
    }

    private void Rewrite(OnnxGraph graph, NodeProto node, TensorProto weight, bool standard, List<NodeProto> added,
        Dictionary<string, (string Q, string Scale, string Zp)> quantizedInputs)
    {
        var dims = weight.Dims.ToArray();
        var values = TensorData.ToFloats(weight);
        var isGemm = node.OpType == "Gemm";
        if (isGemm && node.GetInt("transB", 0) != 0)
        {
            values = Transpose(values, (int)dims[0], (int)dims[1]);
            dims = [dims[1], dims[0]];
        }
        // Weight [K, N]: one scale per output column N.
        var axis = _options.PerChannel && dims[1] > 1 ? 1 : (int?)null;
        var (q, scales) = QuantMath.QuantizeWeights(values, dims, axis, _options.ReduceRange);
        var alpha = isGemm ? node.GetFloat("alpha", 1f) : 1f;
        var perAxis = axis is not null;
        var name = node.Input[1];
        var wq = graph.UniqueName(name + "_quantized");
        graph.SetInitializer(TensorData.Create(wq, TensorProto.Types.DataType.Int8, dims, q.AsSpan()));
        var scaleName = graph.UniqueName(name + "_scale");
        graph.SetInitializer(TensorData.FromFloats(scaleName, perAxis ? [scales.Length] : [], scales.Select(s => s * alpha).ToArray()));
        var zpName = graph.UniqueName(name + "_zero_point");
        graph.SetInitializer(TensorData.Create(zpName, TensorProto.Types.DataType.Int8, perAxis ? [scales.Length] : [], new sbyte[scales.Length].AsSpan()));
        string? bias = null;
        if (isGemm && node.Input.Count > 2 && node.Input[2].Length > 0)
        {
            var c = graph.GetConstant(node.Input[2])!;
            var beta = node.GetFloat("beta", 1f);
            bias = graph.UniqueName(node.Input[2] + "_scaled");
            graph.SetInitializer(TensorData.FromFloats(bias, c.Dims.ToArray(), TensorData.ToFloats(c).Select(v => v * beta).ToArray()));
        }
        var output = node.Output[0];
        var prefix = node.Name.Length > 0 ? node.Name : graph.UniqueName("dynq");
        graph.RemoveNode(node);
        if (!standard)
        {
            var fused = NodeAttributes.Create("DynamicQuantizeMatMul", graph.UniqueName(prefix + "_quant"),
                bias is null ? [node.Input[0], wq, scaleName, zpName] : [node.Input[0], wq, scaleName, zpName, bias], [output]);
            fused.Domain = QdqBuilder.MsDomain;
            added.Add(fused);
            return;
        }
        var a = node.Input[0];
        if (!quantizedInputs.TryGetValue(a, out var aq))
        {
            aq = (graph.UniqueName(a + "_quantized"), graph.UniqueName(a + "_scale"), graph.UniqueName(a + "_zero_point"));
            added.Add(NodeAttributes.Create("DynamicQuantizeLinear", graph.UniqueName(a + "_DynamicQuantizeLinear"), [a], [aq.Q, aq.Scale, aq.Zp]));
            quantizedInputs[a] = aq;
        }
        var integer = graph.UniqueName(prefix + "_int32");
        added.Add(NodeAttributes.Create("MatMulInteger", graph.UniqueName(prefix + "_MatMulInteger"), [aq.Q, wq, aq.Zp, zpName], [integer]));
        var asFloat = graph.UniqueName(prefix + "_int32_float");
        var cast = NodeAttributes.Create("Cast", graph.UniqueName(prefix + "_Cast"), [integer], [asFloat]);
        cast.SetInt("to", (long)TensorProto.Types.DataType.Float);
        added.Add(cast);
        var scale = graph.UniqueName(prefix + "_output_scale");
        added.Add(NodeAttributes.Create("Mul", graph.UniqueName(prefix + "_scale_Mul"), [aq.Scale, scaleName], [scale]));
        var scaled = bias is null ? output : graph.UniqueName(prefix + "_scaled");
        added.Add(NodeAttributes.Create("Mul", graph.UniqueName(prefix + "_Mul"), [asFloat, scale], [scaled]));
        if (bias is not null)
        {
            added.Add(NodeAttributes.Create("Add", graph.UniqueName(prefix + "_bias_Add"), [scaled, bias], [output]));
        }
    }

    private void QuantizeLstm(OnnxModel model, OnnxGraph graph, NodeProto node, string label, List<NodeProto> added, PassRecord record)
    {
        if (model.OpsetVersion(QdqBuilder.MsDomain) is null)
        {
            model.Proto.OpsetImport.Add(new OperatorSetIdProto { Domain = QdqBuilder.MsDomain, Version = 1 });
        }
        var (lstm, floatBytes) = RecurrentQuantizer.QuantizeLstm(graph, node, _options.PerChannel, _options.ReduceRange);
        graph.RemoveNode(node);
        added.Add(lstm);
        record.Layers.Add(new LayerRecord(label, node.OpType, "quantized int8 (DynamicQuantizeLSTM)", floatBytes / 4, floatBytes / 4,
            new Dictionary<string, double> { ["weight_bytes_before"] = floatBytes, ["weight_bytes_after"] = floatBytes / 4.0 }));
    }

    private static float[] Transpose(float[] values, int rows, int cols)
    {
        var t = new float[values.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                t[(c * rows) + r] = values[(r * cols) + c];
            }
        }
        return t;
    }
}
