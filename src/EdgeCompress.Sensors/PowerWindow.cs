namespace EdgeCompress.Sensors;

/// <summary>A power reading at a time offset from the sampler's start.</summary>
/// <param name="Elapsed">Time since sampling started.</param>
/// <param name="Watts">Power.</param>
public readonly record struct PowerSample(TimeSpan Elapsed, double Watts);

/// <summary>
/// Time-weighted energy over a window: the samples are joined by straight lines (trapezoids), the first and last
/// values are held out to the window's edges, and only the part inside the window counts. Unevenly spaced samples
/// therefore weigh by the time they cover, unlike a running (new + old) / 2 average.
/// </summary>
public static class PowerWindow
{
    /// <summary>Energy in joules between <paramref name="from"/> and <paramref name="to"/>; false when no sample exists.</summary>
    public static bool TryIntegrateJoules(IReadOnlyList<PowerSample> samples, TimeSpan from, TimeSpan to, out double joules)
    {
        joules = 0;
        if (samples.Count == 0 || to <= from)
        {
            return false;
        }

        var start = from.TotalSeconds;
        var end = to.TotalSeconds;
        var first = samples[0];
        var last = samples[^1];

        // Before the first sample and after the last one the nearest value is held flat.
        joules += first.Watts * Overlap(start, end, double.NegativeInfinity, first.Elapsed.TotalSeconds);
        joules += last.Watts * Overlap(start, end, last.Elapsed.TotalSeconds, double.PositiveInfinity);
        for (var i = 1; i < samples.Count; i++)
        {
            var (t0, w0) = (samples[i - 1].Elapsed.TotalSeconds, samples[i - 1].Watts);
            var (t1, w1) = (samples[i].Elapsed.TotalSeconds, samples[i].Watts);
            var a = Math.Max(t0, start);
            var b = Math.Min(t1, end);
            if (b <= a || t1 <= t0)
            {
                continue;
            }

            // Trapezoid over the clipped part of the straight line between the two samples.
            double Line(double t) => w0 + ((w1 - w0) * (t - t0) / (t1 - t0));
            joules += (Line(a) + Line(b)) / 2 * (b - a);
        }

        return true;
    }

    private static double Overlap(double start, double end, double from, double to) =>
        Math.Max(0, Math.Min(end, to) - Math.Max(start, from));

    /// <summary>Time-weighted mean power in watts over the window.</summary>
    public static bool TryMeanWatts(IReadOnlyList<PowerSample> samples, TimeSpan from, TimeSpan to, out double watts)
    {
        watts = 0;
        if (!TryIntegrateJoules(samples, from, to, out var joules))
        {
            return false;
        }

        watts = joules / (to - from).TotalSeconds;
        return true;
    }

    /// <summary>Samples taken inside the window.</summary>
    public static int CountInside(IReadOnlyList<PowerSample> samples, TimeSpan from, TimeSpan to) =>
        samples.Count(s => s.Elapsed >= from && s.Elapsed <= to);
}
