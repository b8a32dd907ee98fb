namespace EdgeCompress.Calibration;

/// <summary>
/// The KL-divergence threshold search (as TensorRT's entropy calibrator does it): for each candidate clip threshold,
/// compare the clipped reference distribution P with its quantized-then-expanded version Q and keep the threshold
/// with the smallest KL(P || Q). Clipping rare outliers buys resolution for the bulk of the values.
/// </summary>
public static class EntropyCalibration
{
    /// <summary>Finds the clip threshold for a histogram of |x|.</summary>
    /// <param name="absCounts">Counts of |x| in equal bins outward from zero.</param>
    /// <param name="binWidth">Width of one bin in value units.</param>
    /// <param name="levels">Quantization levels on the clipped range (128 per side for signed data, 256 for one-sided).</param>
    /// <returns>The threshold in value units (the top edge of the chosen bin).</returns>
    public static double Threshold(double[] absCounts, double binWidth, int levels)
    {
        ArgumentNullException.ThrowIfNull(absCounts);
        var bins = absCounts.Length;
        var last = Array.FindLastIndex(absCounts, c => c > 0);
        if (last < 0)
        {
            return 0;
        }
        if (last + 1 <= levels)
        {
            return (last + 1) * binWidth;
        }
        var step = Math.Max(1, bins / 512);
        var bestKl = double.PositiveInfinity;
        var best = last + 1;
        var p = new double[bins];
        var q = new double[bins];
        for (var i = levels; i <= last + 1; i += step)
        {
            var kl = Divergence(absCounts, i, levels, p, q);
            if (kl < bestKl)
            {
                bestKl = kl;
                best = i;
            }
        }
        return best * binWidth;
    }

    private static double Divergence(double[] h, int i, int levels, double[] p, double[] q)
    {
        // P: the first i bins with everything beyond folded into the last kept bin.
        double outliers = 0;
        for (var k = i; k < h.Length; k++)
        {
            outliers += h[k];
        }
        Array.Copy(h, p, i);
        p[i - 1] += outliers;
        // Q: the first i bins merged into `levels` groups, each group's mass spread over its non-empty bins.
        Array.Clear(q, 0, i);
        var perLevel = (double)i / levels;
        for (var j = 0; j < levels; j++)
        {
            var start = (int)Math.Floor(j * perLevel);
            var end = j == levels - 1 ? i : (int)Math.Floor((j + 1) * perLevel);
            double mass = 0;
            var nonEmpty = 0;
            for (var k = start; k < end; k++)
            {
                mass += h[k];
                nonEmpty += h[k] > 0 ? 1 : 0;
            }
            if (nonEmpty == 0)
            {
                continue;
            }
            for (var k = start; k < end; k++)
            {
                q[k] = h[k] > 0 ? mass / nonEmpty : 0;
            }
        }
        double sumP = 0;
        double sumQ = 0;
        for (var k = 0; k < i; k++)
        {
            sumP += p[k];
            sumQ += q[k];
        }
        if (sumP == 0 || sumQ == 0)
        {
            return double.PositiveInfinity;
        }
        double kl = 0;
        for (var k = 0; k < i; k++)
        {
            if (p[k] > 0)
            {
                var pk = p[k] / sumP;
                // Q is empty where P holds only folded outliers: a small floor keeps the divergence finite.
                var qk = Math.Max(q[k] / sumQ, 1e-12);
                kl += pk * Math.Log(pk / qk);
            }
        }
        return kl;
    }
}
