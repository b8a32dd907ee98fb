using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Evaluation;

/// <summary>How close a model's outputs stay to a reference model's: cosine similarity and error figures,
/// accumulated over many batches without keeping the tensors.</summary>
public sealed class Fidelity
{
    private double _dot;
    private double _normA;
    private double _normB;
    private double _sumSquaredError;
    private double _sumAbsError;
    private long _count;

    /// <summary>Largest absolute difference seen.</summary>
    public double MaxAbsError { get; private set; }

    /// <summary>Cosine similarity of all reference values against all candidate values seen so far (1 = same direction).</summary>
    public double Cosine => _normA == 0 || _normB == 0 ? (_normA == _normB ? 1 : 0) : _dot / Math.Sqrt(_normA * _normB);

    /// <summary>Mean squared error over all values seen.</summary>
    public double MeanSquaredError => _count == 0 ? 0 : _sumSquaredError / _count;

    /// <summary>Mean absolute difference over all values seen.</summary>
    public double MeanAbsError => _count == 0 ? 0 : _sumAbsError / _count;

    /// <summary>Sum of the squared reference values (the signal's energy).</summary>
    public double ReferenceEnergy => _normA;

    /// <summary>Number of values compared.</summary>
    public long Count => _count;

    /// <summary>Adds one pair of tensors (same length) to the running figures.</summary>
    public void Add(ReadOnlySpan<float> reference, ReadOnlySpan<float> candidate)
    {
        if (reference.Length != candidate.Length)
        {
            throw new InputException($"outputs differ in size: {reference.Length} vs {candidate.Length} values");
        }
        for (var i = 0; i < reference.Length; i++)
        {
            double a = reference[i];
            double b = candidate[i];
            _dot += a * b;
            _normA += a * a;
            _normB += b * b;
            var e = Math.Abs(a - b);
            _sumSquaredError += e * e;
            _sumAbsError += e;
            if (e > MaxAbsError)
            {
                MaxAbsError = e;
            }
        }
        _count += reference.Length;
    }

    /// <summary>Cosine similarity of two tensors in one call.</summary>
    public static double CosineOf(ReadOnlySpan<float> reference, ReadOnlySpan<float> candidate)
    {
        var f = new Fidelity();
        f.Add(reference, candidate);
        return f.Cosine;
    }
}
