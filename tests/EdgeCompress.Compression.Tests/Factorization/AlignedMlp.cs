using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Tests.Factorization;

/// <summary>
/// A Gemm MLP built the way trained layers look: each weight is a rank-k map from the previous layer's signal
/// subspace to its own (so consecutive layers are aligned), plus a full-rank noise tail holding a few percent of the
/// energy; the held data lies near the input signal subspace (x = B z + small noise), as images lie near a
/// low-dimensional manifold. Random Gaussian weights and inputs would be flat in every direction instead.
/// </summary>
public sealed class AlignedMlp
{
    private readonly float[] _inputBasis;

    private AlignedMlp(OnnxModel model, float[] inputBasis, int inputs, int rank)
    {
        Model = model;
        _inputBasis = inputBasis;
        Inputs = inputs;
        Rank = rank;
    }

    /// <summary>The model: "x" [N, inputs] -> "y" [N, outputs].</summary>
    public OnnxModel Model { get; }

    /// <summary>Input width.</summary>
    public int Inputs { get; }

    /// <summary>Signal rank of every layer.</summary>
    public int Rank { get; }

    /// <summary>Builds the MLP; <paramref name="noiseEnergy"/> is the fraction of each weight's energy in the noise tail.</summary>
    public static AlignedMlp Build(int inputs = 256, int hidden = 512, int outputs = 10, int rank = 24, double noiseEnergy = 0.08, int seed = 5)
    {
        var r = new Random(seed);
        var widths = new[] { inputs, hidden, hidden, outputs };
        var bases = widths.Select(w => TestModels.Random(r, w * Math.Min(rank, w), 1.0 / Math.Sqrt(w))).ToArray();
        var g = new GraphProto { Name = "aligned_mlp" };
        g.Input.Add(TestModels.Value("x", TensorProto.Types.DataType.Float, -1, inputs));
        g.Output.Add(TestModels.Value("y", TensorProto.Types.DataType.Float, -1, outputs));
        var prev = "x";
        for (var l = 0; l < 3; l++)
        {
            int m = widths[l + 1], n = widths[l];
            int kOut = Math.Min(rank, m), kIn = Math.Min(rank, n), k = Math.Min(kOut, kIn);
            var w = new float[m * n];
            for (var c = 0; c < k; c++)
            {
                var strength = 2.0 * Math.Pow(0.95, c);
                for (var i = 0; i < m; i++)
                {
                    for (var j = 0; j < n; j++)
                    {
                        w[(i * n) + j] += (float)(strength * bases[l + 1][(i * kOut) + c] * bases[l][(j * kIn) + c]);
                    }
                }
            }
            var signal = w.Sum(v => (double)v * v);
            var noise = TestModels.Random(r, m * n, 1);
            var noiseScale = Math.Sqrt(signal * noiseEnergy / (1 - noiseEnergy) / noise.Sum(v => (double)v * v));
            for (var i = 0; i < w.Length; i++)
            {
                w[i] += (float)(noise[i] * noiseScale);
            }
            g.Initializer.Add(TensorData.FromFloats($"fc{l}_w", [m, n], w));
            g.Initializer.Add(TensorData.FromFloats($"fc{l}_b", [m], TestModels.Random(r, m, 0.01)));
            var outName = l == 2 ? "y" : $"fc{l}_out";
            g.Node.Add(TestModels.Node("Gemm", $"fc{l}", [prev, $"fc{l}_w", $"fc{l}_b"], [outName], node => node.SetInt("transB", 1)));
            if (l < 2)
            {
                g.Node.Add(TestModels.Node("Relu", $"relu{l}", [outName], [$"relu{l}_out"]));
                outName = $"relu{l}_out";
            }
            prev = outName;
        }
        var proto = new ModelProto { IrVersion = 8, ProducerName = "edgecompress-tests", Graph = g };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return new AlignedMlp(new OnnxModel(proto), bases[0], inputs, Math.Min(rank, inputs));
    }

    /// <summary>Held samples x = B z + 0.05 noise (z standard), never seen by the factorization (which uses no data).</summary>
    public IEnumerable<Sample> HeldData(int batches, int batchSize, int seed)
    {
        var r = new Random(seed);
        for (var b = 0; b < batches; b++)
        {
            var x = new float[batchSize * Inputs];
            for (var s = 0; s < batchSize; s++)
            {
                var z = TestModels.Random(r, Rank, 1);
                var e = TestModels.Random(r, Inputs, 0.05 / Math.Sqrt(Inputs));
                for (var i = 0; i < Inputs; i++)
                {
                    double v = e[i];
                    for (var c = 0; c < Rank; c++)
                    {
                        v += _inputBasis[(i * Rank) + c] * z[c];
                    }
                    x[(s * Inputs) + i] = (float)v;
                }
            }
            yield return new Sample([new SampleTensor("x", [batchSize, Inputs], x, null, TensorProto.Types.DataType.Float)], null);
        }
    }

    /// <summary>Outputs of a model over the held data, concatenated.</summary>
    public float[] Outputs(OnnxModel model, int seed = 77)
    {
        using var runner = ModelRunner.Create(model, "aligned-mlp");
        return HeldData(8, 32, seed).SelectMany(s => runner.Run(s)[0].Values).ToArray();
    }
}
