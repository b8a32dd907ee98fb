using MathNet.Numerics.LinearAlgebra;

namespace EdgeCompress.Compression.Factorization;

/// <summary>
/// Mode products and unfoldings of a conv weight viewed as a 3-way tensor [T (out), S (in), P (kernel positions)],
/// row-major as ONNX stores it. Only modes 0 and 1 are factorized by Tucker-2, so only those are needed.
/// </summary>
internal static class TensorOps
{
    /// <summary>Mode-0 unfolding: T x (S P), a plain reshape.</summary>
    public static Matrix<float> Unfold0(float[] x, int t, int s, int p) => Svd.FromRowMajor(x, t, s * p);

    /// <summary>Mode-1 unfolding: S x (T P), column t P + p holding x[t, s, p].</summary>
    public static Matrix<float> Unfold1(float[] x, int t, int s, int p)
    {
        var m = Matrix<float>.Build.Dense(s, t * p);
        for (var ti = 0; ti < t; ti++)
        {
            for (var si = 0; si < s; si++)
            {
                var offset = ((ti * s) + si) * p;
                for (var pi = 0; pi < p; pi++)
                {
                    m[si, (ti * p) + pi] = x[offset + pi];
                }
            }
        }
        return m;
    }

    /// <summary>x ×0 m: [T, S, P] with m (T' x T) gives [T', S, P].</summary>
    public static float[] Mode0(float[] x, int t, int s, int p, Matrix<float> m) =>
        Svd.ToRowMajor(m * Unfold0(x, t, s, p));

    /// <summary>x ×1 m: [T, S, P] with m (S' x S) gives [T, S', P].</summary>
    public static float[] Mode1(float[] x, int t, int s, int p, Matrix<float> m)
    {
        var product = m * Unfold1(x, t, s, p);
        var s2 = m.RowCount;
        var y = new float[t * s2 * p];
        for (var ti = 0; ti < t; ti++)
        {
            for (var si = 0; si < s2; si++)
            {
                var offset = ((ti * s2) + si) * p;
                for (var pi = 0; pi < p; pi++)
                {
                    y[offset + pi] = product[si, (ti * p) + pi];
                }
            }
        }
        return y;
    }

    /// <summary>Leading <paramref name="rank"/> left singular vectors of a matrix (columns).</summary>
    public static Matrix<float> LeadingLeft(Matrix<float> a, int rank)
    {
        var svd = Svd.Thin(a);
        return svd.U.SubMatrix(0, a.RowCount, 0, Math.Min(rank, svd.U.ColumnCount));
    }

    /// <summary>Sum of squares.</summary>
    public static double Energy(ReadOnlySpan<float> x)
    {
        double e = 0;
        foreach (var v in x)
        {
            e += (double)v * v;
        }
        return e;
    }
}
