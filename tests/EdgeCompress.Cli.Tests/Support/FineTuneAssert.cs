using EdgeCompress.Onnx;

namespace EdgeCompress.Cli.Tests.Support;

/// <summary>What fine-tuning after a pass must do: keep the graph the pass produced and change only weights.</summary>
public static class FineTuneAssert
{
    public static void SameGraphNewWeights(string withoutFineTune, string withFineTune)
    {
        var plain = OnnxModel.Load(withoutFineTune);
        var tuned = OnnxModel.Load(withFineTune);
        Assert.Equal(plain.Graph.Nodes.Select(n => n.OpType), tuned.Graph.Nodes.Select(n => n.OpType));
        var plainWeights = plain.Graph.Initializers;
        var tunedWeights = tuned.Graph.Initializers;
        Assert.Equal(plainWeights.Keys.Order(), tunedWeights.Keys.Order());
        foreach (var (name, t) in plainWeights)
        {
            Assert.Equal(t.Dims, tunedWeights[name].Dims);
        }
        Assert.Contains(plainWeights, kv => TensorData.TypeOf(kv.Value) == Onnx.Protos.TensorProto.Types.DataType.Float
            && !TensorData.ToFloats(kv.Value).SequenceEqual(TensorData.ToFloats(tunedWeights[kv.Key])));
    }
}
