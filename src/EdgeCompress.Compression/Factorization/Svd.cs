using MathNet.Numerics.LinearAlgebra;

namespace EdgeCompress.Compression.Factorization;

/// <summary>A thin SVD A = U diag(S) Vt with singular values in decreasing order.</summary>
/// <param name="U">Left singular vectors, m x k.</param>
/// <param name="S">Singular values, k of them.</param>
/// <param name="Vt">Right singular vectors (transposed), k x n.</param>
internal sealed record SvdFactors(Matrix<float> U, double[] S, Matrix<float> Vt)
{
    /// <summary>Sum of squared singular values (= squared Frobenius norm of A).</summary>
    public double TotalEnergy => Spectrum.Total(S);
}

/// <summary>
/// SVDs through LAPACK when the system has it, else MathNet's managed decomposition: the exact thin SVD, the
/// singular values alone, and the leading triplets for one rank (randomized for large matrices, see
/// <see cref="RandomizedSvd"/>).
/// </summary>
internal static class Svd
{
    /// <summary>From this smaller dimension on, a matrix counts as large: its spectrum comes from a values-only SVD
    /// and its vectors, once the rank is known, from the randomized range finder.</summary>
    public const int LargeDimension = 1024;

    /// <summary>True when <see cref="Leading"/> takes the randomized path for this shape and rank: the matrix is large,
    /// LAPACK is there, and the sketch is at most half the matrix's size (beyond that the exact SVD is as cheap).</summary>
    public static bool UsesRandomized(int m, int n, int rank) =>
        NativeLapack.IsAvailable && Math.Min(m, n) >= LargeDimension && 2 * RandomizedSvd.SketchWidth(rank, m, n) <= Math.Min(m, n);

    /// <summary>
    /// All singular values of <paramref name="a"/> (not modified), decreasing, without the vectors: with LAPACK, the
    /// square roots of the Gram matrix's eigenvalues (one symmetric rank-k update, then a tridiagonal reduction of
    /// half the memory traffic of the bidiagonal one a values-only SVD does: about 2.5x faster at 2048). Squaring
    /// costs precision only below sqrt(float eps) ~ 3e-4 of the largest value, far under what energy fractions see.
    /// </summary>
    public static double[] Values(Matrix<float> a)
    {
        if (NativeLapack.IsAvailable)
        {
            var eigen = NativeLapack.GramEigenvalues(a.ToColumnMajorArray(), a.RowCount, a.ColumnCount);
            var values = new double[eigen.Length];
            for (var i = 0; i < eigen.Length; i++)
            {
                // Ascending eigenvalues; rounding can leave the smallest slightly negative.
                values[i] = Math.Sqrt(Math.Max(0, eigen[eigen.Length - 1 - i]));
            }
            return values;
        }
        return a.Svd(computeVectors: false).S.Select(v => (double)v).ToArray();
    }

    /// <summary>The first <paramref name="rank"/> singular triplets of <paramref name="a"/> (not modified): randomized
    /// where <see cref="UsesRandomized"/> says so, else the exact thin SVD cut to the rank.</summary>
    public static SvdFactors Leading(Matrix<float> a, int rank)
    {
        var (m, n) = (a.RowCount, a.ColumnCount);
        if (UsesRandomized(m, n, rank))
        {
            return RandomizedSvd.Leading(a.ToColumnMajorArray(), m, n, rank);
        }
        var full = Thin(a);
        return new SvdFactors(full.U.SubMatrix(0, m, 0, rank), full.S.Take(rank).ToArray(), full.Vt.SubMatrix(0, rank, 0, n));
    }

    /// <summary>The thin SVD of <paramref name="a"/> (not modified).</summary>
    public static SvdFactors Thin(Matrix<float> a)
    {
        var m = a.RowCount;
        var n = a.ColumnCount;
        var k = Math.Min(m, n);
        if (NativeLapack.IsAvailable)
        {
            var data = a.ToColumnMajorArray();
            var s = new float[k];
            var u = new float[m * k];
            var vt = new float[k * n];
            NativeLapack.Sgesdd(data, m, n, s, u, vt);
            return new SvdFactors(Matrix<float>.Build.Dense(m, k, u), Array.ConvertAll(s, v => (double)v), Matrix<float>.Build.Dense(k, n, vt));
        }
        var svd = a.Svd(computeVectors: true);
        return new SvdFactors(svd.U.SubMatrix(0, m, 0, k), svd.S.Take(k).Select(v => (double)v).ToArray(), svd.VT.SubMatrix(0, k, 0, n));
    }

    /// <summary>Builds a MathNet matrix from a row-major float buffer.</summary>
    public static Matrix<float> FromRowMajor(ReadOnlySpan<float> values, int rows, int cols)
    {
        // MathNet stores column-major: the row-major buffer is the column-major storage of the transpose.
        return Matrix<float>.Build.Dense(cols, rows, values.ToArray()).Transpose();
    }

    /// <summary>The matrix's values in row-major order (ONNX layout).</summary>
    public static float[] ToRowMajor(Matrix<float> m) => m.Transpose().ToColumnMajorArray();

    /// <summary>Splits a rank-r truncation into two factors, P (m x r) = U_r sqrt(S_r) and Q (r x n) = sqrt(S_r) Vt_r,
    /// so both carry half the scale (keeps float ranges balanced).</summary>
    public static (Matrix<float> P, Matrix<float> Q) Split(SvdFactors f, int rank)
    {
        var p = f.U.SubMatrix(0, f.U.RowCount, 0, rank).Clone();
        var q = f.Vt.SubMatrix(0, rank, 0, f.Vt.ColumnCount).Clone();
        for (var i = 0; i < rank; i++)
        {
            var root = (float)Math.Sqrt(f.S[i]);
            p.SetColumn(i, p.Column(i) * root);
            q.SetRow(i, q.Row(i) * root);
        }
        return (p, q);
    }
}

/// <summary>Energy arithmetic over a decreasing singular-value spectrum.</summary>
internal static class Spectrum
{
    /// <summary>Sum of squares.</summary>
    public static double Total(IReadOnlyList<double> s) => s.Sum(v => v * v);

    // Suffix sums per spectrum, so rank searches that probe thousands of ranks stay linear.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IReadOnlyList<double>, double[]> Tails = new();

    /// <summary>Fraction of energy lost when keeping the first <paramref name="rank"/> values (squared relative
    /// Frobenius error of the truncation).</summary>
    public static double TailFraction(IReadOnlyList<double> s, int rank)
    {
        var tails = Tails.GetValue(s, BuildTails);
        var total = tails[0];
        return total <= 0 ? 0 : tails[Math.Clamp(rank, 0, s.Count)] / total;
    }

    private static double[] BuildTails(IReadOnlyList<double> s)
    {
        var tails = new double[s.Count + 1];
        for (var i = s.Count - 1; i >= 0; i--)
        {
            tails[i] = tails[i + 1] + (s[i] * s[i]);
        }
        return tails;
    }

    /// <summary>The smallest rank keeping at least <paramref name="energy"/> of the squared singular values (at least 1).</summary>
    public static int RankForEnergy(IReadOnlyList<double> s, double energy)
    {
        var total = Total(s);
        if (total <= 0)
        {
            return 1;
        }
        double kept = 0;
        for (var i = 0; i < s.Count; i++)
        {
            kept += s[i] * s[i];
            // Small tolerance so energy 1.0 does not demand the last rounding-noise singular values.
            if (kept >= (energy * total) - (1e-7 * total))
            {
                return i + 1;
            }
        }
        return s.Count;
    }
}
