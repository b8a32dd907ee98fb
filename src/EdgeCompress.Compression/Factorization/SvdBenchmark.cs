using MathNet.Numerics.LinearAlgebra;

namespace EdgeCompress.Compression.Factorization;

/// <summary>
/// The decomposition the speed bar times, on square test matrices: what the pass does for one large Gemm weight
/// (choose the rank keeping 95% of the energy, then get the factors for that rank), either the exact way (a full
/// thin SVD with vectors, the pass's former path) or the fast way (singular values only, then the leading triplets
/// by the randomized range finder).
/// </summary>
public static class SvdBenchmark
{
    /// <summary>Which SVD implementation runs ("libopenblas.so.0", or managed MathNet).</summary>
    public static string Backend => NativeLapack.Backend;

    /// <summary>
    /// A <paramref name="size"/> x <paramref name="size"/> test matrix. Uniform entries give a flat spectrum (the
    /// worst case: 95% of the energy needs most of the rank, so the layer is not worth factorizing and no vectors are
    /// needed). Decaying gives singular values about exp(-i / (size / 20)), like a trained layer's, so the 95%-energy
    /// rank is about 3% of the size and the factors are computed.
    /// </summary>
    public static Matrix<float> TestMatrix(int size, int seed, bool decaying)
    {
        var r = new Random(seed);
        if (!decaying)
        {
            return Matrix<float>.Build.Dense(size, size, (_, _) => (float)((r.NextDouble() * 2) - 1));
        }
        // G1 diag(d) G2 with Gaussian-like G1, G2: near-orthogonal columns, so the spectrum follows d closely.
        var inner = Math.Min(size, 1024);
        var scale = size / 20.0;
        var left = Matrix<float>.Build.Dense(size, inner, (_, j) => (float)(((r.NextDouble() * 2) - 1) * Math.Exp(-j / scale)));
        var right = Matrix<float>.Build.Dense(inner, size, (_, _) => (float)((r.NextDouble() * 2) - 1));
        if (!NativeLapack.IsAvailable)
        {
            return left * right;
        }
        var product = new float[size * size];
        NativeLapack.Sgemm(false, false, size, size, inner, left.ToColumnMajorArray(), right.ToColumnMajorArray(), product);
        return Matrix<float>.Build.Dense(size, size, product);
    }

    /// <summary>
    /// Decomposes <paramref name="matrix"/> as the pass would for a Gemm weight and returns the rank keeping 95% of
    /// its energy (so the work cannot be skipped). Exact: full thin SVD with vectors. Fast: singular values, then
    /// the leading factors only when that rank saves weights (r (m + n) &lt; m n).
    /// </summary>
    public static int Run(Matrix<float> matrix, bool exact)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var (m, n) = (matrix.RowCount, matrix.ColumnCount);
        if (exact)
        {
            return Spectrum.RankForEnergy(Svd.Thin(matrix).S, 0.95);
        }
        var rank = Spectrum.RankForEnergy(Svd.Values(matrix), 0.95);
        if ((long)rank * (m + n) < (long)m * n)
        {
            _ = Svd.Leading(matrix, rank);
        }
        return rank;
    }

    /// <summary>True when the fast path would use the randomized range finder at this rank.</summary>
    public static bool FastPathIsRandomized(int m, int n, int rank) => Svd.UsesRandomized(m, n, rank);
}
