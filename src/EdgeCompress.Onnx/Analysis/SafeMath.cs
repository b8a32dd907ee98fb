namespace EdgeCompress.Onnx;

/// <summary>
/// Saturating 64-bit arithmetic for sizes and MAC counts: a model may declare dimensions whose products do not
/// fit 64 bits, and reports must show "too large" rather than crash or wrap to a negative number.
/// </summary>
public static class SafeMath
{
    /// <summary>The saturation value; any count at or above it is reported as overflowed.</summary>
    public const long Saturated = long.MaxValue;

    /// <summary>a * b, saturating at <see cref="Saturated"/> (or <see cref="long.MinValue"/> for negative products).</summary>
    public static long Multiply(long a, long b)
    {
        var high = Math.BigMul(a, b, out long low);
        if (high == (low >> 63))
        {
            return low;
        }
        return (a < 0) ^ (b < 0) ? long.MinValue : Saturated;
    }

    /// <summary>a + b, saturating at <see cref="Saturated"/> or <see cref="long.MinValue"/>.</summary>
    public static long Add(long a, long b)
    {
        var r = unchecked(a + b);
        if (((a ^ r) & (b ^ r)) < 0)
        {
            return a < 0 ? long.MinValue : Saturated;
        }
        return r;
    }

    /// <summary>The product of all values, saturating.</summary>
    public static long Product(IEnumerable<long> values)
    {
        long p = 1;
        foreach (var v in values)
        {
            p = Multiply(p, v);
        }
        return p;
    }

    /// <summary>True when a count hit the saturation value.</summary>
    public static bool IsSaturated(long value) => value == Saturated;
}
