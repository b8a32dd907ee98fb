using System.Globalization;
using ScottPlot;

namespace EdgeCompress.Reporting;

/// <summary>
/// A base-10 log axis for ScottPlot, which has none of its own: callers plot log10 of their values and this labels the
/// axis in the values' own units.
/// </summary>
internal static class LogScale
{
    /// <summary>Labels <paramref name="axis"/> for values from <paramref name="lo"/> to <paramref name="hi"/> (both &gt; 0)
    /// and returns the limits, in log10 units, that show them with a little room.</summary>
    public static (double Low, double High) Apply(IAxis axis, double lo, double hi)
    {
        var pad = Math.Max(0.02, 0.06 * (Math.Log10(hi) - Math.Log10(lo)));
        var (low, high) = (Math.Log10(lo) - pad, Math.Log10(hi) + pad);
        var ticks = Ticks(Math.Pow(10, low), Math.Pow(10, high));
        axis.SetTicks(ticks.Select(Math.Log10).ToArray(), ticks.Select(t => t.ToString("G4", CultureInfo.InvariantCulture)).ToArray());
        return (low, high);
    }

    /// <summary>
    /// Tick values between <paramref name="lo"/> and <paramref name="hi"/> (both &gt; 0): powers of ten when the
    /// range spans enough of them, else 1-2-5 or 1..9 steps per decade, else (a range inside one step) even steps.
    /// </summary>
    public static IReadOnlyList<double> Ticks(double lo, double hi)
    {
        var first = (int)Math.Floor(Math.Log10(lo));
        var last = (int)Math.Ceiling(Math.Log10(hi));
        foreach (double[] mantissas in (double[][])[[1], [1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]])
        {
            var ticks = Enumerable.Range(first, last - first + 1)
                .SelectMany(d => mantissas.Select(mant => mant * Math.Pow(10, d)))
                .Where(t => t >= lo && t <= hi).ToList();
            if (ticks.Count >= 3)
            {
                return ticks;
            }
        }
        var step = NiceStep((hi - lo) / 4);
        var (from, to) = ((int)Math.Ceiling((lo / step) - 1e-9), (int)Math.Floor((hi / step) + 1e-9));
        return Enumerable.Range(from, to - from + 1).Select(k => k * step).ToList();
    }

    private static double NiceStep(double raw)
    {
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var n = raw / magnitude;
        return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * magnitude;
    }
}
