using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Tests.Factorization;

/// <summary>Models with weights of known low-rank structure, so factorization quality has a right answer.</summary>
public static class FactorTestModels
{
    /// <summary>
    /// An MLP whose Gemm weights are low rank plus noise, the shape trained layers' spectra take (a few strong
    /// directions and a long weak tail); random Gaussian weights would have a flat spectrum instead.
    /// </summary>
    public static OnnxModel LowRankMlp(int inputs = 256, int hidden = 512, int outputs = 10, int rank = 24, double noise = 0.02, int seed = 5)
    {
        var r = new Random(seed);
        var g = new GraphProto { Name = "lowrank_mlp" };
        g.Input.Add(TestModels.Value("x", TensorProto.Types.DataType.Float, -1, inputs));
        g.Output.Add(TestModels.Value("y", TensorProto.Types.DataType.Float, -1, outputs));
        var prev = "x";
        var width = inputs;
        var layers = new[] { hidden, hidden, outputs };
        for (var i = 0; i < layers.Length; i++)
        {
            var w = $"fc{i}_w";
            g.Initializer.Add(TensorData.FromFloats(w, [layers[i], width], LowRank(r, layers[i], width, Math.Min(rank, Math.Min(layers[i], width)), noise)));
            g.Initializer.Add(TensorData.FromFloats($"fc{i}_b", [layers[i]], TestModels.Random(r, layers[i], 0.05)));
            var outName = i == layers.Length - 1 ? "y" : $"fc{i}_out";
            g.Node.Add(TestModels.Node("Gemm", $"fc{i}", [prev, w, $"fc{i}_b"], [outName], n => n.SetInt("transB", 1)));
            if (i < layers.Length - 1)
            {
                g.Node.Add(TestModels.Node("Relu", $"relu{i}", [outName], [$"relu{i}_out"]));
                outName = $"relu{i}_out";
            }
            prev = outName;
            width = layers[i];
        }
        return Wrap(g);
    }

    /// <summary>An m x n row-major matrix: sum of <paramref name="rank"/> outer products with decaying weights, plus noise,
    /// scaled so that rows have unit-ish norm.</summary>
    public static float[] LowRank(Random r, int m, int n, int rank, double noise)
    {
        var u = TestModels.Random(r, m * rank, 1);
        var v = TestModels.Random(r, n * rank, 1);
        var w = new float[m * n];
        var scale = 1.0 / Math.Sqrt(n * rank);
        for (var k = 0; k < rank; k++)
        {
            var strength = Math.Pow(0.9, k) * scale * 3;
            for (var i = 0; i < m; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    w[(i * n) + j] += (float)(u[(i * rank) + k] * v[(j * rank) + k] * strength);
                }
            }
        }
        var e = TestModels.Random(r, m * n, noise / Math.Sqrt(n));
        for (var i = 0; i < w.Length; i++)
        {
            w[i] += e[i];
        }
        return w;
    }

    /// <summary>A single conv [N,cin,h,w] -> [N,cout,..] whose weight has exact Tucker ranks (rin, rout).</summary>
    public static OnnxModel TuckerConv(int cin, int cout, int k, int rin, int rout, Action<NodeProto>? attributes = null, int size = 12, bool cpStructure = false, int seed = 9)
    {
        var r = new Random(seed);
        var p = k * k;
        var weight = new float[cout * cin * p];
        if (cpStructure)
        {
            // Sum of rin rank-one terms a ∘ b ∘ c ∘ d: an exact CP rank-rin tensor.
            for (var t = 0; t < rin; t++)
            {
                var a = TestModels.Random(r, cout, 1);
                var b = TestModels.Random(r, cin, 1);
                var c = TestModels.Random(r, k, 1);
                var d = TestModels.Random(r, k, 1);
                for (var o = 0; o < cout; o++)
                {
                    for (var i = 0; i < cin; i++)
                    {
                        for (var y = 0; y < k; y++)
                        {
                            for (var x = 0; x < k; x++)
                            {
                                weight[(((o * cin) + i) * p) + (y * k) + x] += a[o] * b[i] * c[y] * d[x];
                            }
                        }
                    }
                }
            }
        }
        else
        {
            var core = TestModels.Random(r, rout * rin * p, 1);
            var uOut = TestModels.Random(r, cout * rout, 1);
            var uIn = TestModels.Random(r, cin * rin, 1);
            for (var o = 0; o < cout; o++)
            {
                for (var i = 0; i < cin; i++)
                {
                    for (var a = 0; a < rout; a++)
                    {
                        for (var b = 0; b < rin; b++)
                        {
                            var f = uOut[(o * rout) + a] * uIn[(i * rin) + b];
                            for (var q = 0; q < p; q++)
                            {
                                weight[(((o * cin) + i) * p) + q] += f * core[(((a * rin) + b) * p) + q];
                            }
                        }
                    }
                }
            }
        }
        var g = new GraphProto { Name = "conv" };
        g.Input.Add(TestModels.Value("input", TensorProto.Types.DataType.Float, -1, cin, size, size));
        g.Output.Add(new ValueInfoProto { Name = "out" });
        g.Initializer.Add(TensorData.FromFloats("w", [cout, cin, k, k], weight));
        g.Initializer.Add(TensorData.FromFloats("b", [cout], TestModels.Random(r, cout, 0.1)));
        g.Node.Add(TestModels.Node("Conv", "conv", ["input", "w", "b"], ["out"], n =>
        {
            n.SetInts("kernel_shape", [k, k]);
            attributes?.Invoke(n);
        }));
        return Wrap(g);
    }

    /// <summary>Runs a model on a few seeded random samples and returns all first outputs (and their dims) concatenated.</summary>
    public static (float[] Values, long[] Dims) Outputs(OnnxModel model, int samples = 8, int seed = 99, int batch = 4)
    {
        using var runner = ModelRunner.Create(model, "test");
        var values = new List<float>();
        long[] dims = [];
        foreach (var s in DataSpec.Parse($"synthetic:{samples}").Open(runner.Inputs, batch, seed))
        {
            var o = runner.Run(s)[0];
            values.AddRange(o.Values);
            dims = o.Dims;
        }
        return (values.ToArray(), dims);
    }

    internal static OnnxModel Wrap(GraphProto g)
    {
        var m = new ModelProto { IrVersion = 8, ProducerName = "edgecompress-tests", Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return new OnnxModel(m);
    }
}
