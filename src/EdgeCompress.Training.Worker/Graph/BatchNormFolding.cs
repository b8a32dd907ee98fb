using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Training.Worker.Graph;

/// <summary>
/// Folds every BatchNormalization that directly follows a Conv (whose output nothing else reads) into the Conv's
/// weight and bias: w' = w * g / sqrt(v + eps), b' = (b - m) * g / sqrt(v + eps) + beta. QAT runs on the folded graph
/// so the weights it fake-quantises are exactly the weights the QDQ export stores.
/// </summary>
internal static class BatchNormFolding
{
    public static ModelProto Fold(ModelProto source)
    {
        var model = source.Clone();
        var g = model.Graph;
        var inits = g.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var readers = g.Node.SelectMany(n => n.Input).GroupBy(i => i, StringComparer.Ordinal).ToDictionary(x => x.Key, x => x.Count(), StringComparer.Ordinal);
        foreach (var bn in g.Node.Where(n => n.OpType == "BatchNormalization").ToList())
        {
            var conv = g.Node.FirstOrDefault(n => n.OpType == "Conv" && n.Output[0] == bn.Input[0]);
            if (conv is null || readers.GetValueOrDefault(conv.Output[0]) != 1 || !bn.Input.Skip(1).All(inits.ContainsKey) || !inits.ContainsKey(conv.Input[1]))
            {
                continue;
            }
            var gamma = TensorData.ToFloats(inits[bn.Input[1]]);
            var beta = TensorData.ToFloats(inits[bn.Input[2]]);
            var mean = TensorData.ToFloats(inits[bn.Input[3]]);
            var variance = TensorData.ToFloats(inits[bn.Input[4]]);
            var eps = bn.GetFloat("epsilon", 1e-5f);
            var wInit = inits[conv.Input[1]];
            var w = TensorData.ToFloats(wInit);
            var channels = gamma.Length;
            var per = w.Length / channels;
            var bias = conv.Input.Count > 2 && inits.TryGetValue(conv.Input[2], out var bInit) ? TensorData.ToFloats(bInit) : new float[channels];
            var newBias = new float[channels];
            for (var c = 0; c < channels; c++)
            {
                var k = gamma[c] / MathF.Sqrt(variance[c] + eps);
                for (var i = 0; i < per; i++)
                {
                    w[c * per + i] *= k;
                }
                newBias[c] = (bias[c] - mean[c]) * k + beta[c];
            }
            var wName = conv.Input[1] + ".folded";
            var bName = conv.Name + ".bias.folded";
            g.Initializer.Add(TensorData.FromFloats(wName, wInit.Dims.ToArray(), w));
            g.Initializer.Add(TensorData.FromFloats(bName, [channels], newBias));
            conv.Input[1] = wName;
            if (conv.Input.Count > 2)
            {
                conv.Input[2] = bName;
            }
            else
            {
                conv.Input.Add(bName);
            }
            conv.Output[0] = bn.Output[0];
            g.Node.Remove(bn);
        }
        // Drop initializers nothing reads any more (the unfolded weights and BatchNorm statistics).
        var used = g.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        foreach (var dead in g.Initializer.Where(i => !used.Contains(i.Name)).ToList())
        {
            g.Initializer.Remove(dead);
        }
        foreach (var dead in g.Input.Where(i => inits.ContainsKey(i.Name) && !used.Contains(i.Name)).ToList())
        {
            g.Input.Remove(dead);
        }
        return model;
    }
}
