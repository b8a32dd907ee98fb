using EdgeCompress.Compression.Passes;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.GraphPrep;

/// <summary>
/// Folds an inference BatchNormalization into the Conv, ConvTranspose (group 1) or Gemm before it:
/// s = gamma / sqrt(var + eps), W' = W * s per output channel, b' = (b - mean) * s + beta. The BN node goes away,
/// so the quantizer calibrates and quantizes the weights the runtime will really use.
/// </summary>
public sealed class BatchNormFolding : ICompressionPass
{
    /// <inheritdoc />
    public string Name => "fold-batchnorm";

    /// <inheritdoc />
    public PassResult Apply(OnnxModel model, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var output = new OnnxModel(model.Proto.Clone());
        var record = new PassRecord(Name);
        record.Totals["folded"] = Run(output.Graph, record);
        return new PassResult(output, record);
    }

    /// <summary>Folds in place; returns the number of BatchNormalization nodes removed.</summary>
    internal static int Run(OnnxGraph graph, PassRecord record)
    {
        var folded = 0;
        foreach (var bn in graph.Nodes.Where(n => n.OpType == "BatchNormalization" && (n.Domain ?? "").Length == 0).ToList())
        {
            var producer = graph.Producer(bn.Input[0]);
            if (producer is null || bn.Output.Skip(1).Any(o => o.Length > 0) || bn.GetInt("training_mode", 0) != 0
                || graph.Consumers(bn.Input[0]).Count != 1 || graph.IsGraphOutput(bn.Input[0]))
            {
                continue;
            }
            var p = bn.Input.Skip(1).Take(4).Select(graph.GetConstant).ToArray();
            if (p.Length != 4 || p.Any(t => t is null))
            {
                continue;
            }
            var gamma = TensorData.ToFloats(p[0]!);
            var beta = TensorData.ToFloats(p[1]!);
            var mean = TensorData.ToFloats(p[2]!);
            var variance = TensorData.ToFloats(p[3]!);
            var eps = bn.GetFloat("epsilon", 1e-5f);
            var scale = new float[gamma.Length];
            var shift = new float[gamma.Length];
            for (var c = 0; c < scale.Length; c++)
            {
                scale[c] = gamma[c] / MathF.Sqrt(variance[c] + eps);
                shift[c] = beta[c] - (mean[c] * scale[c]);
            }
            if (!FoldInto(graph, producer, scale, shift))
            {
                continue;
            }
            // The producer now writes what BN wrote.
            var bnOut = bn.Output[0];
            var mid = bn.Input[0];
            graph.RemoveNode(bn);
            graph.RemoveValueInfo(v => v.Name == mid);
            graph.RenameValue(mid, bnOut);
            record.Layers.Add(new LayerRecord(OnnxGraph.NodeLabel(bn), "BatchNormalization", $"folded into {OnnxGraph.NodeLabel(producer)}",
                gamma.Length * 4L, 0));
            folded++;
        }
        graph.RemoveUnused();
        return folded;
    }

    private static bool FoldInto(OnnxGraph graph, NodeProto producer, float[] scale, float[] shift)
    {
        if ((producer.Domain ?? "").Length != 0 || producer.Input.Count < 2)
        {
            return false;
        }
        var w = graph.GetConstant(producer.Input[1]);
        if (w is null || TensorData.TypeOf(w) != TensorProto.Types.DataType.Float)
        {
            return false;
        }
        var dims = w.Dims.ToArray();
        int axis;
        switch (producer.OpType)
        {
            case "Conv":
                axis = 0;
                break;
            case "ConvTranspose" when producer.GetInt("group", 1) == 1:
                axis = 1;
                break;
            case "Gemm" when dims.Length == 2 && producer.GetInt("transA", 0) == 0:
                axis = producer.GetInt("transB", 0) != 0 ? 0 : 1;
                break;
            default:
                return false;
        }
        if (dims.Length < 2 || dims[axis] != scale.Length)
        {
            return false;
        }
        var channels = scale.Length;
        var bias = new float[channels];
        var beta = producer.OpType == "Gemm" ? producer.GetFloat("beta", 1f) : 1f;
        if (producer.Input.Count > 2 && producer.Input[2].Length > 0)
        {
            var b = graph.GetConstant(producer.Input[2]);
            if (b is null)
            {
                return false;
            }
            var bv = TensorData.ToFloats(b);
            if (bv.Length == 1)
            {
                Array.Fill(bias, bv[0] * beta);
            }
            else if (bv.Length == channels && (b.Dims.Count == 1 || b.Dims.Take(b.Dims.Count - 1).All(d => d == 1)))
            {
                for (var c = 0; c < channels; c++)
                {
                    bias[c] = bv[c] * beta;
                }
            }
            else
            {
                return false;
            }
        }
        var values = TensorData.ToFloats(w);
        var inner = 1L;
        for (var i = axis + 1; i < dims.Length; i++)
        {
            inner *= dims[i];
        }
        var outer = values.Length / (inner * channels);
        for (long o = 0; o < outer; o++)
        {
            for (var c = 0; c < channels; c++)
            {
                var start = ((o * channels) + c) * inner;
                for (long k = 0; k < inner; k++)
                {
                    values[start + k] *= scale[c];
                }
            }
        }
        for (var c = 0; c < channels; c++)
        {
            bias[c] = (bias[c] * scale[c]) + shift[c];
        }
        // New tensors, so a weight shared with another node is not changed under it.
        var wName = graph.UniqueName(producer.Input[1] + "_bnfolded");
        var bName = graph.UniqueName((producer.Name.Length > 0 ? producer.Name : wName) + "_bias_bnfolded");
        graph.SetInitializer(TensorData.FromFloats(wName, dims, values));
        graph.SetInitializer(TensorData.FromFloats(bName, [channels], bias));
        graph.SetInput(producer, 1, wName);
        graph.SetInput(producer, 2, bName);
        if (producer.OpType == "Gemm")
        {
            producer.SetFloat("beta", 1f);
        }
        return true;
    }
}
