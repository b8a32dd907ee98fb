using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Pruning;

/// <summary>
/// Re-estimates BatchNormalization running mean and variance on data after pruning: removing input channels of
/// a layer shifts the statistics of what it produces, and stale statistics cost more accuracy than the pruning
/// itself. Layers are refreshed in graph order, each from a run of the model with the earlier ones already fixed,
/// by exposing the BN input as an extra output.
/// </summary>
internal static class BatchNormRecalibration
{
    /// <summary>Updates the model in place; returns how many BN layers were refreshed.</summary>
    public static int Run(OnnxModel model, DataSpec data, int rows, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var store = new ParamStore(model.Graph);
        var norms = model.Graph.TopologicalOrder()
            .Where(n => n.OpType == "BatchNormalization" && n.Input.Count == 5 && store.IsPrivate(n.Input[3]) && store.IsPrivate(n.Input[4])
                && TensorData.TypeOf(store.Find(n.Input[3])!) == EdgeCompress.Onnx.Protos.TensorProto.Types.DataType.Float)
            .ToList();
        var done = 0;
        foreach (var bn in norms)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var mean = store.Find(bn.Input[3])!;
            var variance = store.Find(bn.Input[4])!;
            var channels = (int)mean.Dims[0];
            var sum = new double[channels];
            var sumSquares = new double[channels];
            long perChannel = 0;
            using (var runner = ModelRunner.Create(model, "bn recalibration", new RunnerOptions { ExtraOutputs = [bn.Input[0]], Threads = 0 }))
            {
                var seen = 0;
                foreach (var sample in data.Open(runner.Inputs, batchSize: 64))
                {
                    var x = runner.Run(sample).First(o => o.Name == bn.Input[0]);
                    var inner = x.Dims.Skip(2).Aggregate(1L, (a, b) => a * b);
                    for (long i = 0; i < x.Values.LongLength; i++)
                    {
                        var c = (int)(i / inner % channels);
                        double v = x.Values[i];
                        sum[c] += v;
                        sumSquares[c] += v * v;
                    }
                    perChannel += x.Dims[0] * inner;
                    seen += (int)x.Dims[0];
                    if (seen >= rows)
                    {
                        break;
                    }
                }
            }
            if (perChannel == 0)
            {
                continue;
            }
            var m = sum.Select(s => (float)(s / perChannel)).ToArray();
            var v2 = sumSquares.Select((s, c) => (float)Math.Max(0, (s / perChannel) - ((double)m[c] * m[c]))).ToArray();
            TensorData.SetValues<float>(mean, [channels], m);
            TensorData.SetValues<float>(variance, [channels], v2);
            done++;
            progress?.Report($"recalibrated {OnnxGraph.NodeLabel(bn)} ({done}/{norms.Count})");
        }
        return done;
    }
}
