using System.Runtime.InteropServices;

namespace EdgeCompress.Compression.Factorization;

/// <summary>
/// LAPACK's divide-and-conquer SVD (sgesdd) from the system's OpenBLAS, found at run time. MathNet's managed SVD
/// needs minutes for a 4096x4096 matrix and its OpenBLAS provider wants a MathNet-specific native shim no
/// distribution ships, so the one hot routine is called here directly; everything else stays in MathNet.
/// When no library loads, <see cref="IsAvailable"/> is false and callers use MathNet's managed SVD.
/// </summary>
internal static unsafe class NativeLapack
{
    // OpenBLAS first (optimised, threaded); the reference liblapack works but is about as slow as managed code.
    private static readonly string[] Candidates =
    [
        "libopenblas.so.0",
        "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "libopenblas.so",
        "libopenblas.dylib",
        "liblapack.so.3",
    ];

    private static readonly Lazy<(IntPtr Sgesdd, string? Library)> Loaded = new(Load);

    /// <summary>True when a LAPACK library with sgesdd was found.</summary>
    public static bool IsAvailable => Loaded.Value.Sgesdd != IntPtr.Zero && !DisabledByEnvironment;

    /// <summary>The library in use, for reports and benchmarks ("managed" when none).</summary>
    public static string Backend => IsAvailable ? Loaded.Value.Library! : "managed (MathNet)";

    // EDGEC_MANAGED_SVD=1 forces the managed path (benchmarks compare both; a broken native library can be avoided).
    private static bool DisabledByEnvironment => Environment.GetEnvironmentVariable("EDGEC_MANAGED_SVD") == "1";

    private static (IntPtr, string?) Load()
    {
        foreach (var name in Candidates)
        {
            if (NativeLibrary.TryLoad(name, out var handle) && NativeLibrary.TryGetExport(handle, "sgesdd_", out var f))
            {
                return (f, name);
            }
        }
        return (IntPtr.Zero, null);
    }

    /// <summary>
    /// Thin SVD of a column-major m x n matrix (destroyed): fills s (k = min(m,n)), u (m x k, column-major) and
    /// vt (k x n, column-major). Throws <see cref="InvalidOperationException"/> when LAPACK reports failure.
    /// </summary>
    public static void Sgesdd(float[] a, int m, int n, float[] s, float[] u, float[] vt)
    {
        var fn = (delegate* unmanaged<byte*, int*, int*, float*, int*, float*, float*, int*, float*, int*, float*, int*, int*, int*, nuint, void>)Loaded.Value.Sgesdd;
        var k = Math.Min(m, n);
        byte jobz = (byte)'S';
        int rows = m, cols = n, lda = Math.Max(1, m), ldu = Math.Max(1, m), ldvt = Math.Max(1, k), lwork = -1, info = 0;
        float query = 0;
        var iwork = new int[8 * k];
        fixed (float* pa = a, ps = s, pu = u, pvt = vt)
        fixed (int* piw = iwork)
        {
            // First call asks for the optimal workspace size; the trailing argument is gfortran's hidden length of JOBZ.
            fn(&jobz, &rows, &cols, pa, &lda, ps, pu, &ldu, pvt, &ldvt, &query, &lwork, piw, &info, 1);
            if (info != 0)
            {
                throw new InvalidOperationException($"LAPACK sgesdd workspace query failed (info {info})");
            }
            lwork = Math.Max(1, (int)query);
            var work = new float[lwork];
            fixed (float* pw = work)
            {
                fn(&jobz, &rows, &cols, pa, &lda, ps, pu, &ldu, pvt, &ldvt, pw, &lwork, piw, &info, 1);
            }
        }
        if (info != 0)
        {
            throw new InvalidOperationException($"LAPACK sgesdd did not converge on a {m}x{n} matrix (info {info})");
        }
    }
}
