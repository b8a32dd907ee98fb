using EdgeCompress.Compression.Factorization;
using MathNet.Numerics.LinearAlgebra;

namespace EdgeCompress.Compression.Tests.Factorization;

/// <summary>
/// The fast path for large matrices (Gram-matrix spectrum, randomized leading factors) against the exact thin SVD,
/// on matrices with planted decaying spectra: exponential (a few strong directions) and power law (the long
/// slowly-decaying tail trained layers have, the hard case for randomized methods).
/// </summary>
[Trait("Category", "heavy")]
public class FastSvdTests
{
    public static TheoryData<string, int> Spectra => new() { { "exponential", 64 }, { "power-law", 64 }, { "power-law", 160 } };

    [Theory]
    [MemberData(nameof(Spectra))]
    public void Randomized_factors_reconstruct_within_1_percent_of_the_exact_truncated_svd(string spectrum, int rank)
    {
        var (a, sigma) = Planted(1100, 1024, spectrum, seed: 3);
        Assert.True(Svd.UsesRandomized(1100, 1024, rank));

        var fast = Svd.Leading(a, rank);
        var exact = Svd.Thin(a);
        var fastError = ReconstructionError(a, fast, rank);
        var exactError = ReconstructionError(a, exact, rank);
        var optimal = Math.Sqrt(Spectrum.TailFraction(sigma, rank));

        Assert.InRange(exactError, optimal * 0.999, optimal * 1.001);
        Assert.True(fastError <= exactError * 1.01, $"{spectrum} rank {rank}: randomized error {fastError:G5}, exact {exactError:G5}");
        // The leading half agree within 1%; the values near the sketch's edge come out a little low on a
        // slowly decaying spectrum (up to ~6% at rank 64 of a power law); the oversampling keeps that out of the error.
        for (var i = 0; i < rank; i++)
        {
            Assert.InRange(fast.S[i], exact.S[i] * (i < rank / 2 ? 0.99 : 0.9), exact.S[i] * 1.0001);
        }
    }

    [Theory]
    [InlineData("exponential")]
    [InlineData("power-law")]
    public void Gram_spectrum_gives_the_same_energy_ranks_and_tails_as_the_exact_svd(string spectrum)
    {
        var (a, _) = Planted(1024, 1300, spectrum, seed: 4);

        var fast = Svd.Values(a);
        var exact = Svd.Thin(a).S;

        Assert.Equal(exact.Length, fast.Length);
        foreach (var energy in new[] { 0.5, 0.8, 0.9, 0.95, 0.99 })
        {
            Assert.InRange(Spectrum.RankForEnergy(fast, energy), Spectrum.RankForEnergy(exact, energy) - 1, Spectrum.RankForEnergy(exact, energy) + 1);
        }
        foreach (var rank in new[] { 1, 16, 100, 400, 1000 })
        {
            Assert.Equal(Spectrum.TailFraction(exact, rank), Spectrum.TailFraction(fast, rank), 4);
        }
        Assert.InRange(fast[0], exact[0] * 0.9999, exact[0] * 1.0001);
    }

    [Fact]
    public void Small_matrices_and_large_ranks_stay_on_the_exact_path()
    {
        Assert.False(Svd.UsesRandomized(512, 4096, 16));
        Assert.False(Svd.UsesRandomized(4096, 4096, 1800));
        Assert.Equal(NativeLapack.IsAvailable, Svd.UsesRandomized(4096, 4096, 300));
    }

    // A = U diag(sigma) V^T with random orthonormal U (m x k) and V (n x k), k = min(m, n).
    internal static (Matrix<float> A, double[] Sigma) Planted(int m, int n, string spectrum, int seed)
    {
        var k = Math.Min(m, n);
        var sigma = Enumerable.Range(0, k).Select(i => spectrum == "exponential" ? Math.Exp(-i / 40.0) : 1 / Math.Sqrt(1 + i)).ToArray();
        var r = new Random(seed);
        var u = Orthonormal(r, m, k);
        var v = Orthonormal(r, n, k);
        for (var j = 0; j < k; j++)
        {
            u.SetColumn(j, u.Column(j) * (float)sigma[j]);
        }
        var a = new float[m * n];
        NativeLapack.Sgemm(false, true, m, n, k, u.ToColumnMajorArray(), v.ToColumnMajorArray(), a);
        return (Matrix<float>.Build.Dense(m, n, a), sigma);
    }

    // LAPACK's QR (MathNet's managed one takes seconds at this size); the fast path needs LAPACK anyway.
    private static Matrix<float> Orthonormal(Random r, int rows, int cols)
    {
        var g = Matrix<float>.Build.Dense(rows, cols, (_, _) => (float)((r.NextDouble() * 2) - 1)).ToColumnMajorArray();
        NativeLapack.OrthonormalizeColumns(g, rows, cols);
        return Matrix<float>.Build.Dense(rows, cols, g);
    }

    private static double ReconstructionError(Matrix<float> a, SvdFactors f, int rank)
    {
        var u = f.U.SubMatrix(0, f.U.RowCount, 0, rank).Clone();
        for (var j = 0; j < rank; j++)
        {
            u.SetColumn(j, u.Column(j) * (float)f.S[j]);
        }
        var residual = a - (u * f.Vt.SubMatrix(0, rank, 0, f.Vt.ColumnCount));
        return residual.FrobeniusNorm() / a.FrobeniusNorm();
    }
}
