using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using static TorchSharp.torch;

namespace EdgeCompress.Training.Worker.Graph;

/// <summary>
/// Writes a QAT-trained module as a QDQ model: Conv/Gemm weights stored int8 (symmetric) behind DequantizeLinear,
/// per output channel (axis 0) or with one scalar scale when the training used one per tensor; each fake-quantised activation wrapped in QuantizeLinear/DequantizeLinear with the
/// learned scale and zero point (uint8, or int8 when asked). Biases stay float. Opset 13.
/// </summary>
internal static class QdqExport
{
    public static ModelProto Export(GraphModule module, FakeQuant quant, IReadOnlyDictionary<string, string> metadata)
    {
        var model = ModelExport.Export(module, metadata);
        var g = model.Graph;
        var inits = g.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        foreach (var node in g.Node.Where(n => n.OpType is "Conv" or "Gemm").ToList())
        {
            var wName = node.Input[1];
            if (!inits.TryGetValue(wName, out var wInit) || !module.Weights.TryGetValue(wName, out var w))
            {
                continue;
            }
            using var scales = FakeQuant.WeightScales(w, quant.PerChannelWeights, quant.WeightMax);
            var s = scales.data<float>().ToArray();
            var values = TensorData.ToFloats(wInit);
            var per = values.Length / s.Length;
            var q = new sbyte[values.Length];
            for (var i = 0; i < values.Length; i++)
            {
                q[i] = (sbyte)Math.Clamp(MathF.Round(values[i] / s[i / per]), -quant.WeightMax, quant.WeightMax);
            }
            g.Initializer.Remove(wInit);
            g.Initializer.Add(TensorData.Create<sbyte>(wName + ".q", TensorProto.Types.DataType.Int8, wInit.Dims.ToArray(), q));
            var dq = NodeAttributes.Create("DequantizeLinear", wName + ".dq", [wName + ".q", wName + ".scale", wName + ".zp"], [wName + ".dq"]);
            if (quant.PerChannelWeights)
            {
                g.Initializer.Add(TensorData.FromFloats(wName + ".scale", [s.Length], s));
                g.Initializer.Add(TensorData.Create<sbyte>(wName + ".zp", TensorProto.Types.DataType.Int8, [s.Length], new sbyte[s.Length]));
                dq.SetInt("axis", 0);
            }
            else
            {
                g.Initializer.Add(TensorData.FromFloats(wName + ".scale", [], [s[0]]));
                g.Initializer.Add(TensorData.Create<sbyte>(wName + ".zp", TensorProto.Types.DataType.Int8, [], [0]));
            }
            g.Node.Insert(g.Node.IndexOf(node), dq);
            node.Input[1] = wName + ".dq";
        }
        foreach (var name in quant.Activations)
        {
            if (!quant.Ranges.TryGetValue(name, out var range))
            {
                continue;
            }
            var (scale, zp, qmin, _) = quant.Params(range);
            var signed = qmin < 0;
            g.Initializer.Add(TensorData.FromFloats(name + ".act_scale", [], [scale]));
            g.Initializer.Add(signed
                ? TensorData.Create<sbyte>(name + ".act_zp", TensorProto.Types.DataType.Int8, [], [(sbyte)zp])
                : TensorData.Create<byte>(name + ".act_zp", TensorProto.Types.DataType.Uint8, [], [(byte)zp]));
            var consumers = g.Node.Where(n => n.Input.Contains(name)).ToList();
            var producerIndex = g.Node.ToList().FindIndex(n => n.Output.Contains(name));
            var ql = NodeAttributes.Create("QuantizeLinear", name + ".quant", [name, name + ".act_scale", name + ".act_zp"], [name + ".q"]);
            var dl = NodeAttributes.Create("DequantizeLinear", name + ".dequant", [name + ".q", name + ".act_scale", name + ".act_zp"], [name + ".dq"]);
            g.Node.Insert(producerIndex + 1, dl);
            g.Node.Insert(producerIndex + 1, ql);
            foreach (var c in consumers)
            {
                for (var i = 0; i < c.Input.Count; i++)
                {
                    if (c.Input[i] == name)
                    {
                        c.Input[i] = name + ".dq";
                    }
                }
            }
        }
        return model;
    }
}
