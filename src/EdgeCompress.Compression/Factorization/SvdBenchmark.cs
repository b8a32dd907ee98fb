using MathNet.Numerics.LinearAlgebra;

namespace EdgeCompress.Compression.Factorization;

/// <summary>The decomposition the speed bar times: the thin SVD used by the pass on a random square matrix.</summary>
public static class SvdBenchmark
{
    /// <summary>Which SVD implementation runs ("libopenblas.so.0", or managed MathNet).</summary>
    public static string Backend => NativeLapack.Backend;

    /// <summary>Decomposes a random <paramref name="size"/> x <paramref name="size"/> matrix and returns the rank
    /// keeping 95% of its energy (so the work cannot be skipped).</summary>
    public static int Run(int size, int seed)
    {
        var r = new Random(seed);
        var m = Matrix<float>.Build.Dense(size, size, (_, _) => (float)((r.NextDouble() * 2) - 1));
        var svd = Svd.Thin(m);
        return Spectrum.RankForEnergy(svd.S, 0.95);
    }
}
