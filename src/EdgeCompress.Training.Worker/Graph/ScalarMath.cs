using TorchSharp;
using static TorchSharp.torch;

namespace EdgeCompress.Training.Worker.Graph;

/// <summary>
/// Tensor arithmetic with plain numbers, each number held as a TorchSharp Scalar until libtorch has returned.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 turns every number given to an operator (<c>t * 0.5</c>, <c>t.clamp(lo, hi)</c>, and the implicit
/// alpha of <c>a + b</c>) into a Scalar that only its finalizer frees, and nothing references that Scalar once the
/// native call has begun. A garbage collection at that moment lets the finalizer thread free it while libtorch still
/// reads it: training then dies at random with "Expected false to be true ... toFloat at c10/core/Scalar.h" or "Unknown
/// scalar type". Seen once in CI during QAT; reproduced every time with EDGEC_WORKER_GC_STRESS (Program.cs). So the
/// worker's tensor code passes numbers only through these helpers: a Scalar in a <c>using</c> that outlives the call,
/// or a constant rooted in a static field.
/// </remarks>
internal static class ScalarMath
{
    /// <summary>Rooted, so never finalized: the alpha of every tensor + tensor.</summary>
    public static readonly Scalar One = 1.0.ToScalar();

    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    public static Tensor Plus(this Tensor a, double value)
    {
        using var s = value.ToScalar();
        return a.add(s, One);
    }

    public static Tensor Times(this Tensor a, double value)
    {
        using var s = value.ToScalar();
        return a.mul(s);
    }

    public static Tensor Over(this Tensor a, double value)
    {
        using var s = value.ToScalar();
        return a.div(s);
    }

    public static Tensor Clamped(this Tensor a, double min, double max)
    {
        using var lo = min.ToScalar();
        using var hi = max.ToScalar();
        return a.clamp(lo, hi);
    }

    public static Tensor Above(this Tensor a, double value)
    {
        using var s = value.ToScalar();
        return a.gt(s);
    }

    public static Tensor Below(this Tensor a, double value)
    {
        using var s = value.ToScalar();
        return a.lt(s);
    }
}
