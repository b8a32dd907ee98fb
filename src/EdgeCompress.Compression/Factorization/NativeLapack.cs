using System.Runtime.InteropServices;

namespace EdgeCompress.Compression.Factorization;

/// <summary>
/// The few LAPACK/BLAS routines the factorization needs (sgesdd, sgemm, sgeqrf, sorgqr, ssyrk, ssyevd), from the system's
/// OpenBLAS, found at run time. MathNet's managed SVD needs minutes for a 4096x4096 matrix and its OpenBLAS
/// provider wants a MathNet-specific native shim no distribution ships, so the hot routines are called here
/// directly; everything else stays in MathNet. When no library loads, <see cref="IsAvailable"/> is false and
/// callers use MathNet's managed SVD. All matrices are column-major, as Fortran expects.
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

    private static readonly Lazy<Exports?> Loaded = new(Load);

    private sealed record Exports(string Library, IntPtr Sgesdd, IntPtr Sgemm, IntPtr Sgeqrf, IntPtr Sorgqr, IntPtr Ssyrk, IntPtr Ssyevd);

    /// <summary>True when a LAPACK library with every routine used here was found.</summary>
    public static bool IsAvailable => Loaded.Value is not null && !DisabledByEnvironment;

    /// <summary>The library in use, for reports and benchmarks ("managed" when none).</summary>
    public static string Backend => IsAvailable ? Loaded.Value!.Library : "managed (MathNet)";

    // EDGEC_MANAGED_SVD=1 forces the managed path (benchmarks compare both; a broken native library can be avoided).
    private static bool DisabledByEnvironment => Environment.GetEnvironmentVariable("EDGEC_MANAGED_SVD") == "1";

    private static Exports? Load()
    {
        foreach (var name in Candidates)
        {
            // dlsym on a handle also searches the library's dependencies, so liblapack finds sgemm_ in libblas.
            if (NativeLibrary.TryLoad(name, out var h)
                && NativeLibrary.TryGetExport(h, "sgesdd_", out var svd) && NativeLibrary.TryGetExport(h, "sgemm_", out var gemm)
                && NativeLibrary.TryGetExport(h, "sgeqrf_", out var qrf) && NativeLibrary.TryGetExport(h, "sorgqr_", out var orgqr)
                && NativeLibrary.TryGetExport(h, "ssyrk_", out var syrk) && NativeLibrary.TryGetExport(h, "ssyevd_", out var syevd))
            {
                return new Exports(name, svd, gemm, qrf, orgqr, syrk, syevd);
            }
        }
        return null;
    }

    /// <summary>
    /// SVD of a column-major m x n matrix (destroyed). With vectors, fills s (k = min(m,n)), u (m x k) and vt (k x n);
    /// with <paramref name="u"/> and <paramref name="vt"/> null only the singular values are computed (LAPACK's
    /// jobz 'N', several times cheaper). Throws <see cref="InvalidOperationException"/> when LAPACK reports failure.
    /// </summary>
    public static void Sgesdd(float[] a, int m, int n, float[] s, float[]? u, float[]? vt)
    {
        var fn = (delegate* unmanaged<byte*, int*, int*, float*, int*, float*, float*, int*, float*, int*, float*, int*, int*, int*, nuint, void>)Loaded.Value!.Sgesdd;
        var k = Math.Min(m, n);
        var vectors = u is not null && vt is not null;
        byte jobz = vectors ? (byte)'S' : (byte)'N';
        int rows = m, cols = n, lda = Math.Max(1, m), ldu = vectors ? Math.Max(1, m) : 1, ldvt = vectors ? Math.Max(1, k) : 1, lwork = -1, info = 0;
        float query = 0;
        var iwork = new int[8 * k];
        var noVectors = new float[1];
        fixed (float* pa = a, ps = s, pu = u ?? noVectors, pvt = vt ?? noVectors)
        fixed (int* piw = iwork)
        {
            // First call asks for the optimal workspace size; the trailing argument is gfortran's hidden length of JOBZ.
            fn(&jobz, &rows, &cols, pa, &lda, ps, pu, &ldu, pvt, &ldvt, &query, &lwork, piw, &info, 1);
            Check(info, "sgesdd workspace query", m, n);
            lwork = Math.Max(1, (int)query);
            var work = new float[lwork];
            fixed (float* pw = work)
            {
                fn(&jobz, &rows, &cols, pa, &lda, ps, pu, &ldu, pvt, &ldvt, pw, &lwork, piw, &info, 1);
            }
        }
        Check(info, "sgesdd", m, n);
    }

    /// <summary>C (m x n) = op(A) op(B), op transposing when asked; A is m x k or k x m, B is k x n or n x k.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float[] a, float[] b, float[] c)
    {
        var fn = (delegate* unmanaged<byte*, byte*, int*, int*, int*, float*, float*, int*, float*, int*, float*, float*, int*, nuint, nuint, void>)Loaded.Value!.Sgemm;
        byte ta = transA ? (byte)'T' : (byte)'N', tb = transB ? (byte)'T' : (byte)'N';
        int lda = Math.Max(1, transA ? k : m), ldb = Math.Max(1, transB ? n : k), ldc = Math.Max(1, m);
        float alpha = 1, beta = 0;
        fixed (float* pa = a, pb = b, pc = c)
        {
            fn(&ta, &tb, &m, &n, &k, &alpha, pa, &lda, pb, &ldb, &beta, pc, &ldc, 1, 1);
        }
    }

    /// <summary>Replaces the column-major m x n matrix (m >= n) by the Q of its QR factorization (orthonormal columns).</summary>
    public static void OrthonormalizeColumns(float[] a, int m, int n)
    {
        var qrf = (delegate* unmanaged<int*, int*, float*, int*, float*, float*, int*, int*, void>)Loaded.Value!.Sgeqrf;
        var orgqr = (delegate* unmanaged<int*, int*, int*, float*, int*, float*, float*, int*, int*, void>)Loaded.Value!.Sorgqr;
        int rows = m, cols = n, lda = Math.Max(1, m), info = 0, lwork = -1;
        var tau = new float[Math.Max(1, n)];
        float query1 = 0, query2 = 0;
        fixed (float* pa = a, pt = tau)
        {
            qrf(&rows, &cols, pa, &lda, pt, &query1, &lwork, &info);
            Check(info, "sgeqrf workspace query", m, n);
            orgqr(&rows, &cols, &cols, pa, &lda, pt, &query2, &lwork, &info);
            Check(info, "sorgqr workspace query", m, n);
            lwork = Math.Max(1, (int)Math.Max(query1, query2));
            var work = new float[lwork];
            fixed (float* pw = work)
            {
                qrf(&rows, &cols, pa, &lda, pt, pw, &lwork, &info);
                Check(info, "sgeqrf", m, n);
                orgqr(&rows, &cols, &cols, pa, &lda, pt, pw, &lwork, &info);
                Check(info, "sorgqr", m, n);
            }
        }
    }

    /// <summary>
    /// Eigenvalues (ascending) of the Gram matrix of the column-major m x n matrix <paramref name="a"/> (not
    /// modified): A^T A when m >= n, else A A^T, so min(m, n) of them, the squared singular values of A.
    /// </summary>
    public static float[] GramEigenvalues(float[] a, int m, int n)
    {
        var syrk = (delegate* unmanaged<byte*, byte*, int*, int*, float*, float*, int*, float*, float*, int*, nuint, nuint, void>)Loaded.Value!.Ssyrk;
        var syevd = (delegate* unmanaged<byte*, byte*, int*, float*, int*, float*, float*, int*, int*, int*, int*, nuint, nuint, void>)Loaded.Value!.Ssyevd;
        int k = Math.Min(m, n), inner = Math.Max(m, n), lda = Math.Max(1, m), ldc = Math.Max(1, k), info = 0, lwork = -1, liwork = -1;
        // A^T A contracts the m rows (trans 'T'); A A^T contracts the n columns (trans 'N').
        byte uplo = (byte)'U', trans = m >= n ? (byte)'T' : (byte)'N', jobz = (byte)'N';
        float alpha = 1, beta = 0, query = 0;
        int iquery = 0;
        var gram = new float[k * k];
        var w = new float[k];
        fixed (float* pa = a, pc = gram, pw = w)
        {
            syrk(&uplo, &trans, &k, &inner, &alpha, pa, &lda, &beta, pc, &ldc, 1, 1);
            syevd(&jobz, &uplo, &k, pc, &ldc, pw, &query, &lwork, &iquery, &liwork, &info, 1, 1);
            Check(info, "ssyevd workspace query", k, k);
            lwork = Math.Max(1, (int)query);
            liwork = Math.Max(1, iquery);
            var work = new float[lwork];
            var iwork = new int[liwork];
            fixed (float* pwork = work)
            fixed (int* piw = iwork)
            {
                syevd(&jobz, &uplo, &k, pc, &ldc, pw, pwork, &lwork, piw, &liwork, &info, 1, 1);
            }
        }
        Check(info, "ssyevd", k, k);
        return w;
    }

    private static void Check(int info, string routine, int m, int n)
    {
        if (info != 0)
        {
            throw new InvalidOperationException($"LAPACK {routine} failed on a {m}x{n} matrix (info {info})");
        }
    }
}
