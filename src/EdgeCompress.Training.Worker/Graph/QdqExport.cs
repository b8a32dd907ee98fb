using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using static TorchSharp.torch;

namespace EdgeCompress.Training.Worker.Graph;

/// <summary>
/// Writes a QAT-trained module as a QDQ model: Conv/Gemm weights stored int8 (symmetric) behind DequantizeLinear,
/// per output channel (axis 0) or with one scalar scale when the training used one per tensor; each fake-quantised activation wrapped in QuantizeLinear/DequantizeLinear with the
/// learned scale and zero point (uint8, or int8 when asked). Biases stay float. A model below opset 13 is lifted to 13
/// where every operator allows (a torchvision squeezenet1_1 exports at opset 10); one that cannot be lifted keeps its
/// opset and gets ONNX Runtime's com.microsoft QuantizeLinear/DequantizeLinear where the standard ones lack the axis.
/// </summary>
internal static class QdqExport
{
    public static ModelProto Export(GraphModule module, FakeQuant quant, IReadOnlyDictionary<string, string> metadata)
    {
        var model = ModelExport.Export(module, metadata);
        var opset = model.OpsetImport.FirstOrDefault(o => (o.Domain ?? "").Length == 0)?.Version ?? 1;
        if (opset < OpsetLift.TargetOpset)
        {
            // Lifted as `edgec quantize` lifts it, where every operator allows: per-channel DequantizeLinear is standard
            // from 13, and ONNX Runtime's own QDQ rewrites (bias quantization inserts Round) fail to load at opset 10.
            var lifted = new OnnxModel(model);
            OpsetLift.Run(lifted, perChannel: true, onlyWhenNeeded: false);
            model = lifted.Proto;
            opset = model.OpsetImport.FirstOrDefault(o => (o.Domain ?? "").Length == 0)?.Version ?? 1;
        }

        var g = model.Graph;
        string DomainFor(bool perAxis)
        {
            if (opset >= 13 || (opset >= 10 && !perAxis))
            {
                return "";
            }

            if (!model.OpsetImport.Any(o => o.Domain == "com.microsoft"))
            {
                model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
            }

            return "com.microsoft";
        }

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
            dq.Domain = DomainFor(quant.PerChannelWeights);
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
            (ql.Domain, dl.Domain) = (DomainFor(perAxis: false), DomainFor(perAxis: false));
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
