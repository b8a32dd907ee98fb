using MathNet.Numerics.LinearAlgebra;

namespace EdgeCompress.Compression.Factorization;

/// <summary>
/// The leading singular triplets of a large matrix by a randomized range finder with power iterations (Halko,
/// Martinsson and Tropp 2011, algorithms 4.4 and 5.1), all in LAPACK/BLAS: a Gaussian sketch Y = A Ω, QR
/// re-orthonormalization between each product with A and A^T, then the exact SVD of the small projection Q^T A.
/// A full SVD of a 4096x4096 matrix is dominated by the reduction to bidiagonal form, which is half matrix-vector
/// work; this path is a handful of matrix-matrix products of width rank + oversampling, so it is many times faster
/// whenever the rank is well below the matrix's size. The power iterations make the result's error close to the
/// optimal truncation's even when the spectrum decays slowly (as trained weights' do).
/// </summary>
internal static class RandomizedSvd
{
    /// <summary>Products with A^T A after the first sketch; two is the usual choice for slowly decaying spectra.</summary>
    public const int PowerIterations = 2;

    /// <summary>Columns of the sketch for a rank: the rank plus max(10, rank / 4) extra, at most min(m, n).</summary>
    public static int SketchWidth(int rank, int m, int n) => Math.Min(Math.Min(m, n), rank + Math.Max(10, rank / 4));

    /// <summary>The first <paramref name="rank"/> singular triplets of the column-major m x n matrix
    /// <paramref name="a"/> (not modified). Needs <see cref="NativeLapack.IsAvailable"/>. Deterministic for a seed.</summary>
    public static SvdFactors Leading(float[] a, int m, int n, int rank, int seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rank, Math.Min(m, n));
        var l = SketchWidth(rank, m, n);
        var q = new float[m * l];
        NativeLapack.Sgemm(false, false, m, l, n, a, Gaussian(n * l, seed), q);
        NativeLapack.OrthonormalizeColumns(q, m, l);
        var z = new float[n * l];
        for (var i = 0; i < PowerIterations; i++)
        {
            // Orthonormalizing after every product keeps the small singular directions from drowning in rounding.
            NativeLapack.Sgemm(true, false, n, l, m, a, q, z);
            NativeLapack.OrthonormalizeColumns(z, n, l);
            NativeLapack.Sgemm(false, false, m, l, n, a, z, q);
            NativeLapack.OrthonormalizeColumns(q, m, l);
        }
        // B = Q^T A is l x n; its SVD B = Ub S Vt gives A ≈ (Q Ub) S Vt.
        var b = new float[l * n];
        NativeLapack.Sgemm(true, false, l, n, m, q, a, b);
        var s = new float[l];
        var ub = new float[l * l];
        var vt = new float[l * n];
        NativeLapack.Sgesdd(b, l, n, s, ub, vt);
        var u = new float[m * rank];
        // Ub is column-major l x l: its first `rank` columns are the first l * rank entries, so B's leading dimension stays l.
        NativeLapack.Sgemm(false, false, m, rank, l, q, ub, u);
        var vtRows = Matrix<float>.Build.Dense(l, n, vt).SubMatrix(0, rank, 0, n);
        return new SvdFactors(Matrix<float>.Build.Dense(m, rank, u), s.Take(rank).Select(v => (double)v).ToArray(), vtRows);
    }

    private static float[] Gaussian(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < count; i += 2)
        {
            // Box-Muller: two independent standard normals per pair of uniforms.
            var radius = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble()));
            var angle = 2 * Math.PI * random.NextDouble();
            values[i] = (float)(radius * Math.Cos(angle));
            if (i + 1 < count)
            {
                values[i + 1] = (float)(radius * Math.Sin(angle));
            }
        }
        return values;
    }
}
