using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using static EdgeCompress.Compression.Tests.TestModels;

namespace EdgeCompress.Compression.Tests;

/// <summary>
/// A Fashion-MNIST CNN with a real accuracy, built without a training framework: two seeded random 3x3 conv layers
/// (1->32->64, ReLU) and 4x4 max pooling give 3136 features per image; the Gemm head on top is trained by softmax
/// regression (SGD) on those features. About 80+ % top-1: enough to show what quantization costs.
/// </summary>
public static class FashionTestModels
{
    public static OnnxModel RandomFeatureCnn(int trainImages = 6000, int epochs = 3, int seed = 21)
    {
        var r = new Random(seed);
        var g = new GraphProto { Name = "fmnist_random_feature_cnn" };
        g.Input.Add(Value("input", TensorProto.Types.DataType.Float, -1, 1, 28, 28));
        g.Output.Add(Value("logits", TensorProto.Types.DataType.Float, -1, 10));
        AddConv(g, r, "conv1", "input", 1, 32);
        AddConv(g, r, "conv2", "conv1_relu", 32, 64);
        g.Node.Add(Node("MaxPool", "pool", ["conv2_relu"], ["pool"], n => { n.SetInts("kernel_shape", [4, 4]); n.SetInts("strides", [4, 4]); }));
        g.Node.Add(Node("Flatten", "flatten", ["pool"], ["features"], n => n.SetInt("axis", 1)));
        var features = new OnnxModel(new ModelProto { IrVersion = 8, Graph = g.Clone(), OpsetImport = { new OperatorSetIdProto { Version = 17 } } });
        features.Proto.Graph.Output.Clear();
        features.Proto.Graph.Output.Add(new ValueInfoProto { Name = "features" });

        var (x, y) = Features(features, trainImages);
        var (w, b) = TrainSoftmax(x, y, 3136, epochs, seed);
        g.Initializer.Add(TensorData.FromFloats("fc_w", [10, 3136], w));
        g.Initializer.Add(TensorData.FromFloats("fc_b", [10], b));
        g.Node.Add(Node("Gemm", "fc", ["features", "fc_w", "fc_b"], ["logits"], n => n.SetInt("transB", 1)));
        var m = new ModelProto { IrVersion = 8, ProducerName = "edgecompress-tests", Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return new OnnxModel(m);
    }

    private static void AddConv(GraphProto g, Random r, string name, string input, int cin, int cout)
    {
        g.Initializer.Add(TensorData.FromFloats($"{name}_w", [cout, cin, 3, 3], Random(r, cout * cin * 9, Math.Sqrt(2.0 / (cin * 9)))));
        g.Initializer.Add(TensorData.FromFloats($"{name}_b", [cout], Random(r, cout, 0.05)));
        g.Node.Add(Node("Conv", name, [input, $"{name}_w", $"{name}_b"], [$"{name}_out"], n =>
        {
            n.SetInts("kernel_shape", [3, 3]);
            n.SetInts("pads", [1, 1, 1, 1]);
        }));
        g.Node.Add(Node("Relu", $"{name}_relu", [$"{name}_out"], [$"{name}_relu"]));
    }

    private static (List<float[]> X, List<int> Y) Features(OnnxModel features, int count)
    {
        using var runner = ModelRunner.Create(features, "features", new RunnerOptions { Threads = 0 });
        var x = new List<float[]>(count);
        var y = new List<int>(count);
        foreach (var s in DataSpec.Parse($"fashion-mnist:train@{count}").Open(runner.Inputs, 100))
        {
            var values = runner.Run(s)[0].Values;
            var width = values.Length / s.Labels!.Length;
            for (var i = 0; i < s.Labels.Length; i++)
            {
                x.Add(values.AsSpan(i * width, width).ToArray());
                y.Add(s.Labels[i]);
            }
        }
        return (x, y);
    }

    private static (float[] W, float[] B) TrainSoftmax(List<float[]> x, List<int> y, int width, int epochs, int seed)
    {
        // Scale features to unit RMS so one learning rate fits; the scale is folded back into the weights.
        double sq = 0;
        foreach (var f in x)
        {
            foreach (var v in f)
            {
                sq += v * v;
            }
        }
        var scale = (float)(1 / Math.Sqrt(sq / (x.Count * (double)width) + 1e-12));
        var w = new float[10 * width];
        var b = new float[10];
        var order = Enumerable.Range(0, x.Count).ToArray();
        var r = new Random(seed);
        var p = new double[10];
        for (var e = 0; e < epochs; e++)
        {
            r.Shuffle(order);
            var lr = 0.01f / (1 + e);
            foreach (var i in order)
            {
                var f = x[i];
                var max = double.NegativeInfinity;
                for (var c = 0; c < 10; c++)
                {
                    double z = b[c];
                    var row = w.AsSpan(c * width, width);
                    for (var k = 0; k < width; k++)
                    {
                        z += row[k] * f[k] * scale;
                    }
                    p[c] = z;
                    max = Math.Max(max, z);
                }
                double sum = 0;
                for (var c = 0; c < 10; c++)
                {
                    p[c] = Math.Exp(p[c] - max);
                    sum += p[c];
                }
                for (var c = 0; c < 10; c++)
                {
                    var grad = (float)((p[c] / sum) - (c == y[i] ? 1 : 0));
                    b[c] -= lr * grad;
                    var row = w.AsSpan(c * width, width);
                    for (var k = 0; k < width; k++)
                    {
                        row[k] -= lr * grad * f[k] * scale;
                    }
                }
            }
        }
        for (var k = 0; k < w.Length; k++)
        {
            w[k] *= scale;
        }
        return (w, b);
    }
}
