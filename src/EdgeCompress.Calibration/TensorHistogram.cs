using System.Numerics;
using System.Runtime.InteropServices;
namespace EdgeCompress.Calibration;

/// <summary>
/// A streaming histogram of one tensor's values over a range [-R, R] that doubles (merging bin pairs) whenever a
/// larger value arrives. Memory is fixed (a few tens of KiB per tensor) however many samples pass through, which
/// is what lets calibration stream thousands of samples.
/// </summary>
public sealed class TensorHistogram
{
    /// <summary>Bins on each side of zero (even, so doubling merges pairs exactly).</summary>
    public const int BinsPerSide = 2048;

    private readonly double[] _counts = new double[2 * BinsPerSide];

    /// <summary>Half-width R of the covered range; 0 until a non-zero value is seen.</summary>
    public double HalfRange { get; private set; }

    /// <summary>Smallest value seen.</summary>
    public float Min { get; private set; } = float.PositiveInfinity;

    /// <summary>Largest value seen.</summary>
    public float Max { get; private set; } = float.NegativeInfinity;

    /// <summary>Values added.</summary>
    public long Count { get; private set; }

    /// <summary>Adds a batch of values; non-finite values are ignored. Large tensors (a 1024x1024 segmentation net's
    /// activations are hundreds of MB each) are scanned vectorised and binned in parallel chunks.</summary>
    public void Add(ReadOnlySpan<float> values)
    {
        var (lo, hi, count) = Extent(values);
        if (count == 0)
        {
            return;
        }
        Min = Math.Min(Min, lo);
        Max = Math.Max(Max, hi);
        var needed = Math.Max(Math.Abs(lo), Math.Abs(hi));
        if (HalfRange == 0)
        {
            HalfRange = Math.Max(needed, 1e-12);
        }
        while (needed > HalfRange)
        {
            Double();
        }
        Bin(values, HalfRange, _counts);
        Count += count;
    }

    /// <summary>Below this many values a tensor is binned on the calling thread.</summary>
    private const int ParallelChunk = 1 << 20;

    /// <summary>Smallest and largest finite value and how many values are finite.</summary>
    private static (float Lo, float Hi, long Finite) Extent(ReadOnlySpan<float> values)
    {
        var lo = float.PositiveInfinity;
        var hi = float.NegativeInfinity;
        var i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<float>.Count)
        {
            var vlo = new Vector<float>(float.PositiveInfinity);
            var vhi = new Vector<float>(float.NegativeInfinity);
            var poison = Vector<float>.Zero; // v - v is 0 for a finite v and NaN for an infinity or NaN
            var lanes = MemoryMarshal.Cast<float, Vector<float>>(values);
            foreach (var v in lanes)
            {
                vlo = Vector.Min(vlo, v);
                vhi = Vector.Max(vhi, v);
                poison += v - v;
            }
            var clean = true;
            for (var k = 0; k < Vector<float>.Count; k++)
            {
                clean &= poison[k] == 0;
                lo = Math.Min(lo, vlo[k]);
                hi = Math.Max(hi, vhi[k]);
            }
            if (!clean)
            {
                return ExtentScalar(values);
            }
            i = lanes.Length * Vector<float>.Count;
        }
        var (tailLo, tailHi, tailFinite) = ExtentScalar(values[i..]);
        return (Math.Min(lo, tailLo), Math.Max(hi, tailHi), i + tailFinite);
    }

    private static (float Lo, float Hi, long Finite) ExtentScalar(ReadOnlySpan<float> values)
    {
        var lo = float.PositiveInfinity;
        var hi = float.NegativeInfinity;
        long finite = 0;
        foreach (var v in values)
        {
            if (float.IsFinite(v))
            {
                lo = Math.Min(lo, v);
                hi = Math.Max(hi, v);
                finite++;
            }
        }
        return (lo, hi, finite);
    }

    /// <summary>Adds every finite value's bin over [-R, R] to <paramref name="counts"/>; chunks of a large tensor
    /// are binned on the thread pool into private counts and summed.</summary>
    private static unsafe void Bin(ReadOnlySpan<float> values, double halfRange, double[] counts)
    {
        var chunks = (values.Length + ParallelChunk - 1) / ParallelChunk;
        if (chunks <= 1 || Environment.ProcessorCount == 1)
        {
            var local = new int[counts.Length];
            BinInto(values, halfRange, local);
            AddCounts(local, counts);
            return;
        }
        fixed (float* start = values)
        {
            var address = (nint)start;
            var length = values.Length;
            var gate = new object();
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
                () => new int[counts.Length],
                (c, _, local) =>
                {
                    var from = (long)c * ParallelChunk;
                    var n = (int)Math.Min(ParallelChunk, length - from);
                    BinInto(new ReadOnlySpan<float>((float*)address + from, n), halfRange, local);
                    return local;
                },
                local =>
                {
                    lock (gate)
                    {
                        AddCounts(local, counts);
                    }
                });
        }
    }

    private static void BinInto(ReadOnlySpan<float> values, double halfRange, int[] counts)
    {
        var perUnit = BinsPerSide / halfRange;
        var last = counts.Length - 1;
        foreach (var v in values)
        {
            if (float.IsFinite(v))
            {
                counts[Math.Clamp((int)Math.Floor((v + halfRange) * perUnit), 0, last)]++;
            }
        }
    }

    private static void AddCounts(int[] local, double[] counts)
    {
        for (var j = 0; j < counts.Length; j++)
        {
            counts[j] += local[j];
        }
    }

    private void Double()
    {
        // Right side: new bin i = old bins 2i, 2i+1 (counting outward from zero); the left side mirrors it.
        var right = new double[BinsPerSide];
        var left = new double[BinsPerSide];
        for (var i = 0; i < BinsPerSide; i++)
        {
            right[i / 2] += _counts[BinsPerSide + i];
            left[i / 2] += _counts[BinsPerSide - 1 - i];
        }
        for (var i = 0; i < BinsPerSide; i++)
        {
            _counts[BinsPerSide + i] = right[i];
            _counts[BinsPerSide - 1 - i] = left[i];
        }
        HalfRange *= 2;
    }

    /// <summary>The value below which a fraction <paramref name="q"/> of all values lie (bin-edge resolution).</summary>
    public float Quantile(double q)
    {
        if (Count == 0)
        {
            return 0;
        }
        var target = q * Count;
        double seen = 0;
        var width = HalfRange / BinsPerSide;
        for (var j = 0; j < _counts.Length; j++)
        {
            seen += _counts[j];
            if (seen >= target && _counts[j] > 0)
            {
                var edge = q < 0.5 ? -HalfRange + (j * width) : -HalfRange + ((j + 1) * width);
                return (float)Math.Clamp(edge, Min, Max);
            }
        }
        return Max;
    }

    /// <summary>Counts of |x| in <see cref="BinsPerSide"/> bins of width R/BinsPerSide, outward from zero.</summary>
    public double[] AbsoluteCounts()
    {
        var abs = new double[BinsPerSide];
        for (var i = 0; i < BinsPerSide; i++)
        {
            abs[i] = _counts[BinsPerSide + i] + _counts[BinsPerSide - 1 - i];
        }
        return abs;
    }

    /// <summary>The range a calibration method picks from this histogram.</summary>
    public FloatRange RangeFor(CalibrationMethod method, double percentile)
    {
        if (Count == 0)
        {
            return new FloatRange(0, 0);
        }
        switch (method)
        {
            case CalibrationMethod.Percentile:
                var tail = (100 - percentile) / 100;
                // A one-sided tensor (ReLU output) keeps its whole tail budget on the top side.
                return Min >= 0
                    ? new FloatRange(Min, Quantile(1 - tail))
                    : new FloatRange(Quantile(tail / 2), Quantile(1 - (tail / 2)));
            case CalibrationMethod.Entropy:
                var levels = Min >= 0 ? 256 : 128;
                var threshold = (float)EntropyCalibration.Threshold(AbsoluteCounts(), HalfRange / BinsPerSide, levels);
                return new FloatRange(Math.Max(Min, -threshold), Math.Min(Max, threshold));
            default:
                return new FloatRange(Min, Max);
        }
    }
}
