using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Runtime;
using EdgeCompress.Data;
using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Factorization;

/// <summary>How a factorized model's first output compares with the original's over a data set.</summary>
/// <param name="Samples">Rows compared.</param>
/// <param name="Cosine">Cosine similarity of all outputs.</param>
/// <param name="MaxAbsError">Largest absolute difference.</param>
/// <param name="ReferenceAccuracy">Top-1 accuracy of the original, for labelled data.</param>
/// <param name="CandidateAccuracy">Top-1 accuracy of the factorized model, for labelled data.</param>
public sealed record ComparisonResult(int Samples, double Cosine, double MaxAbsError, double? ReferenceAccuracy, double? CandidateAccuracy);

/// <summary>Runs the original and the factorized model side by side (one thread each) on the same samples.</summary>
public static class OutputComparison
{
    /// <summary>Compares first outputs over <paramref name="data"/>; throws <see cref="ModelRunException"/> or
    /// <see cref="DataException"/> when a model cannot run on it.</summary>
    public static ComparisonResult Compare(OnnxModel reference, OnnxModel candidate, DataSpec data, int batchSize = 64,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(data);
        using var a = ModelRunner.Create(reference, "original");
        using var b = ModelRunner.Create(candidate, "factorized");
        var fidelity = new Fidelity();
        int rows = 0, correctA = 0, correctB = 0, labelled = 0;
        foreach (var sample in data.Open(a.Inputs, batchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var outA = a.Run(sample)[0];
            var outB = b.Run(sample)[0];
            fidelity.Add(outA.Values, outB.Values);
            var batch = outA.Dims.Length > 0 ? (int)Math.Max(1, outA.Dims[0]) : 1;
            rows += batch;
            if (sample.Labels is { } labels && outA.Values.Length == outB.Values.Length && outA.Values.Length % labels.Length == 0)
            {
                var classes = outA.Values.Length / labels.Length;
                for (var i = 0; i < labels.Length; i++)
                {
                    correctA += ArgMax(outA.Values.AsSpan(i * classes, classes)) == labels[i] ? 1 : 0;
                    correctB += ArgMax(outB.Values.AsSpan(i * classes, classes)) == labels[i] ? 1 : 0;
                }
                labelled += labels.Length;
            }
            progress?.Report($"compared {rows} samples");
        }
        return new ComparisonResult(rows, fidelity.Cosine, fidelity.MaxAbsError,
            labelled > 0 ? (double)correctA / labelled : null, labelled > 0 ? (double)correctB / labelled : null);
    }

    private static int ArgMax(ReadOnlySpan<float> v)
    {
        var best = 0;
        for (var i = 1; i < v.Length; i++)
        {
            if (v[i] > v[best])
            {
                best = i;
            }
        }
        return best;
    }
}
