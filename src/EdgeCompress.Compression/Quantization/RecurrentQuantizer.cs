using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Quantization;

/// <summary>
/// Dynamic int8 for recurrent cells. An LSTM with constant W and R becomes ONNX Runtime's com.microsoft
/// DynamicQuantizeLSTM: int8 weights stored transposed ([directions, input, 4*hidden] and [directions, hidden,
/// 4*hidden]) with one scale per direction or per gate row, the input and hidden state quantized to uint8 inside the
/// kernel at every step, bias, cell state and outputs float. ONNX Runtime has no int8 kernel for GRU or RNN (no
/// DynamicQuantizeGRU exists): they stay float, or on request get W and R stored int8 behind a DequantizeLinear,
/// which makes the file 4x smaller but runs slower (float compute, dequantized every run, no weight prepacking);
/// either way the caller says so by name.
/// </summary>
internal static class RecurrentQuantizer
{
    /// <summary>Why a recurrent node stays float, or null when it can be quantized.</summary>
    public static string? Ineligible(OnnxGraph graph, NodeProto node)
    {
        if (node.Input.Count < 3 || graph.GetConstant(node.Input[1]) is not { } w || graph.GetConstant(node.Input[2]) is not { } r)
        {
            return "W or R is not a constant";
        }
        if (TensorData.TypeOf(w) != TensorProto.Types.DataType.Float || TensorData.TypeOf(r) != TensorProto.Types.DataType.Float
            || w.Dims.Count != 3 || r.Dims.Count != 3)
        {
            return "W or R is not a 3-D float32 constant";
        }
        if (node.OpType is "GRU" or "RNN")
        {
            // Weight-only storage leaves the node itself as it is, so any layout or shape the float model runs works.
            return null;
        }
        if (node.GetInt("layout", 0) != 0)
        {
            return "batch-first layout (layout=1): DynamicQuantizeLSTM takes sequence-first input only";
        }
        var hidden = node.GetInt("hidden_size", r.Dims[2]);
        if (w.Dims[1] != 4 * hidden || r.Dims[1] != 4 * hidden || r.Dims[2] != hidden || w.Dims[0] != r.Dims[0])
        {
            return "W/R shapes do not match hidden_size";
        }
        if (graph.GetConstant(node.Input[0]) is not null)
        {
            return "no activation input";
        }
        return null;
    }

    /// <summary>Replaces an eligible LSTM with DynamicQuantizeLSTM; returns the new node (already in the graph's
    /// initializers, not yet in its node list) and the float weight bytes it replaced.</summary>
    public static (NodeProto Node, long FloatBytes) QuantizeLstm(OnnxGraph graph, NodeProto node, bool perChannel, bool reduceRange)
    {
        var w = graph.GetConstant(node.Input[1])!;
        var r = graph.GetConstant(node.Input[2])!;
        var (wq, wScale, wZp) = Weight(graph, node.Input[1], w, perChannel, reduceRange);
        var (rq, rScale, rZp) = Weight(graph, node.Input[2], r, perChannel, reduceRange);
        var inputs = new List<string> { node.Input[0], wq, rq };
        for (var i = 3; i <= 7; i++)
        {
            inputs.Add(i < node.Input.Count ? node.Input[i] : "");
        }
        inputs.AddRange([wScale, wZp, rScale, rZp]);
        var name = node.Name.Length > 0 ? node.Name + "_quant" : graph.UniqueName("lstm_quant");
        var quantized = NodeAttributes.Create("DynamicQuantizeLSTM", name, inputs, node.Output);
        quantized.Domain = QdqBuilder.MsDomain;
        // The contrib schema has every LSTM attribute except layout (only 0, checked above, may reach here).
        quantized.Attribute.AddRange(node.Attribute.Where(a => a.Name != "layout").Select(a => a.Clone()));
        return (quantized, TensorData.ByteSize(w) + TensorData.ByteSize(r));
    }

    /// <summary>The note a GRU/RNN gets: what was done and why it stops there.</summary>
    public static string Note(NodeProto node, bool weightOnly) =>
        $"ONNX Runtime has no int8 {node.OpType} kernel (only com.microsoft DynamicQuantizeLSTM, for LSTM): "
        + (weightOnly
            ? "weights stored int8 (4x smaller), computed in float and dequantized every run (slower than float)"
            : "kept float (--weight-only-recurrent stores its weights int8: 4x smaller but slower)");

    /// <summary>Stores a GRU/RNN's W and R as int8 (one scale per gate row with per-channel, shared by the
    /// directions) behind DequantizeLinear nodes added to <paramref name="qdq"/>; returns the float bytes replaced.</summary>
    public static long WeightOnly(OnnxGraph graph, QdqBuilder qdq, NodeProto node, bool perChannel, bool reduceRange)
    {
        long bytes = 0;
        for (var i = 1; i <= 2; i++)
        {
            var tensor = graph.GetConstant(node.Input[i])!;
            var dims = tensor.Dims.ToArray();
            int? axis = perChannel && dims[1] > 1 ? 1 : null;
            var (q, scales) = QuantMath.QuantizeWeights(TensorData.ToFloats(tensor), dims, axis, reduceRange);
            graph.SetInput(node, i, qdq.Weight(node.Input[i], q, dims, scales, axis));
            bytes += TensorData.ByteSize(tensor);
        }
        return bytes;
    }

    /// <summary>Quantizes W [D, 4H, K] per direction (or per gate row) and stores it as [D, K, 4H], the layout the
    /// kernel packs for its u8 x s8 GEMM.</summary>
    private static (string Q, string Scale, string Zp) Weight(OnnxGraph graph, string name, TensorProto tensor, bool perChannel, bool reduceRange)
    {
        var d = tensor.Dims[0];
        var rows = tensor.Dims[1];
        var k = tensor.Dims[2];
        var values = TensorData.ToFloats(tensor);
        long[] grouping = perChannel ? [d * rows, k] : [d, rows * k];
        var (q, scales) = QuantMath.QuantizeWeights(values, grouping, 0, reduceRange);
        var transposed = new sbyte[q.Length];
        for (long dir = 0; dir < d; dir++)
        {
            var offset = dir * rows * k;
            for (long row = 0; row < rows; row++)
            {
                for (long col = 0; col < k; col++)
                {
                    transposed[offset + (col * rows) + row] = q[offset + (row * k) + col];
                }
            }
        }
        long[] paramDims = perChannel ? [d, rows] : [d];
        var qName = graph.UniqueName(name + "_quantized");
        graph.SetInitializer(TensorData.Create(qName, TensorProto.Types.DataType.Int8, [d, k, rows], transposed.AsSpan()));
        var scaleName = graph.UniqueName(name + "_scale");
        graph.SetInitializer(TensorData.FromFloats(scaleName, paramDims, scales));
        var zpName = graph.UniqueName(name + "_zero_point");
        graph.SetInitializer(TensorData.Create(zpName, TensorProto.Types.DataType.Int8, paramDims, new sbyte[scales.Length].AsSpan()));
        return (qName, scaleName, zpName);
    }
}
