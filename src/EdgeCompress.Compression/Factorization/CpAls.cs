using MathNet.Numerics.LinearAlgebra;

namespace EdgeCompress.Compression.Factorization;

/// <summary>The rank-R CP factors of a 4-way tensor [T, S, H, W] and how the fit went.</summary>
/// <param name="Factors">A0 (T x R), A1 (S x R), A2 (H x R), A3 (W x R).</param>
/// <param name="RelativeError">||X - X̂||_F / ||X||_F at the end.</param>
/// <param name="Iterations">ALS sweeps run.</param>
/// <param name="Converged">True when the error change fell below the tolerance before the sweep limit.</param>
internal sealed record CpResult(Matrix<float>[] Factors, double RelativeError, int Iterations, bool Converged);

/// <summary>
/// CP decomposition of a 4-way conv weight by alternating least squares: each sweep solves every factor in turn
/// against the others (normal equations with the Hadamard product of the other factors' Gram matrices, lightly
/// ridge-regularised against CP's degeneracies), until the relative error moves by less than the tolerance or the
/// sweep bound is reached. The two MTTKRPs per sweep are written as two matrix products over the [T S, H W] view.
/// </summary>
internal static class CpAls
{
    public static CpResult Decompose(float[] x, int t, int s, int h, int w, int rank, Matrix<float> initOut, Matrix<float> initIn,
        int maxIterations, double tolerance, CancellationToken cancellationToken)
    {
        var p = h * w;
        var random = new Random(17);
        var a = new[]
        {
            Init(initOut, t, rank, random),
            Init(initIn, s, rank, random),
            Init(null, h, rank, random),
            Init(null, w, rank, random),
        };
        var xMat = Svd.FromRowMajor(x, t * s, p);
        var normX2 = TensorOps.Energy(x);
        var previous = double.MaxValue;
        var error = 1.0;
        var iterations = 0;
        var converged = false;
        while (iterations < maxIterations)
        {
            cancellationToken.ThrowIfCancellationRequested();
            iterations++;
            // Y[(t,s), r] = sum_p X[t,s,p] A2[h,r] A3[w,r]; serves the updates of A0 and A1.
            var y = xMat * KhatriRao(a[2], a[3]);
            a[0] = Solve(ContractSecond(y, a[1], t, s, rank, overFirst: false), Gram(a, 0));
            a[1] = Solve(ContractSecond(y, a[0], t, s, rank, overFirst: true), Gram(a, 1));
            // Z[(h,w), r] = sum_{t,s} X[t,s,h,w] A0[t,r] A1[s,r]; serves the updates of A2 and A3.
            var z = xMat.TransposeThisAndMultiply(KhatriRao(a[0], a[1]));
            a[2] = Solve(ContractSecond(z, a[3], h, w, rank, overFirst: false), Gram(a, 2));
            var m3 = ContractSecond(z, a[2], h, w, rank, overFirst: true);
            a[3] = Solve(m3, Gram(a, 3));
            var inner = m3.PointwiseMultiply(a[3]).Enumerate().Sum(v => (double)v);
            var normHat2 = HadamardOfGrams(a).Enumerate().Sum(v => (double)v);
            error = normX2 > 0 ? Math.Sqrt(Math.Max(0, normX2 - (2 * inner) + normHat2) / normX2) : 0;
            if (double.IsNaN(error) || Math.Abs(previous - error) < tolerance)
            {
                converged = !double.IsNaN(error);
                break;
            }
            previous = error;
        }
        Balance(a);
        return new CpResult(a, error, iterations, converged);
    }

    private static Matrix<float> Init(Matrix<float>? leading, int rows, int rank, Random random)
    {
        var m = Matrix<float>.Build.Dense(rows, rank, (_, _) => (float)((random.NextDouble() * 2) - 1));
        if (leading is not null)
        {
            for (var c = 0; c < Math.Min(rank, leading.ColumnCount); c++)
            {
                m.SetColumn(c, leading.Column(c));
            }
        }
        return m;
    }

    // Rows indexed (i, j) -> i * J + j: the column-wise Kronecker product matching the row-major [.., I, J] layout.
    private static Matrix<float> KhatriRao(Matrix<float> first, Matrix<float> second)
    {
        var rows1 = first.RowCount;
        var rows2 = second.RowCount;
        return Matrix<float>.Build.Dense(rows1 * rows2, first.ColumnCount, (row, r) => first[row / rows2, r] * second[row % rows2, r]);
    }

    // From Y[(i,j), r]: sum over j of Y * B[j, r] (a matrix over i), or over i of Y * B[i, r] when overFirst.
    private static Matrix<float> ContractSecond(Matrix<float> y, Matrix<float> b, int ni, int nj, int rank, bool overFirst)
    {
        var result = Matrix<float>.Build.Dense(overFirst ? nj : ni, rank);
        for (var i = 0; i < ni; i++)
        {
            for (var j = 0; j < nj; j++)
            {
                var row = (i * nj) + j;
                for (var r = 0; r < rank; r++)
                {
                    if (overFirst)
                    {
                        result[j, r] += y[row, r] * b[i, r];
                    }
                    else
                    {
                        result[i, r] += y[row, r] * b[j, r];
                    }
                }
            }
        }
        return result;
    }

    private static Matrix<float> Gram(Matrix<float>[] a, int skip)
    {
        Matrix<float>? v = null;
        for (var m = 0; m < a.Length; m++)
        {
            if (m != skip)
            {
                var g = a[m].TransposeThisAndMultiply(a[m]);
                v = v is null ? g : v.PointwiseMultiply(g);
            }
        }
        return v!;
    }

    private static Matrix<float> HadamardOfGrams(Matrix<float>[] a) => Gram(a, -1);

    // A = M V^-1 with V symmetric PSD: solve (V + lambda I) A^T = M^T.
    private static Matrix<float> Solve(Matrix<float> m, Matrix<float> v)
    {
        var ridge = Math.Max(1e-12, 1e-7 * v.Diagonal().Sum() / v.RowCount);
        var d = v.ToDouble() + (Matrix<double>.Build.DenseIdentity(v.RowCount) * ridge);
        return d.Cholesky().Solve(m.ToDouble().Transpose()).Transpose().ToSingle();
    }

    // Unit columns for the input and spatial factors; their scale moves into the output factor.
    private static void Balance(Matrix<float>[] a)
    {
        for (var r = 0; r < a[0].ColumnCount; r++)
        {
            for (var m = 1; m < a.Length; m++)
            {
                var norm = (float)a[m].Column(r).L2Norm();
                if (norm > 0)
                {
                    a[m].SetColumn(r, a[m].Column(r) / norm);
                    a[0].SetColumn(r, a[0].Column(r) * norm);
                }
            }
        }
    }
}
