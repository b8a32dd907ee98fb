namespace EdgeCompress.Compression.Factorization;

/// <summary>
/// Automatic rank choice by empirical variational Bayesian matrix factorisation (the global analytic solution of
/// Nakajima, Sugiyama, Babacan and Tomioka, JMLR 2013): the noise variance is estimated from the spectrum itself,
/// and singular values above the resulting threshold are signal. Needs no user-chosen energy or size target.
/// </summary>
internal static class Vbmf
{
    /// <summary>The estimated rank (>= 1) of an m x n matrix with singular values <paramref name="s"/> (all
    /// min(m,n) of them, decreasing).</summary>
    public static int EstimateRank(IReadOnlyList<double> s, int m, int n)
    {
        var l = Math.Min(m, n);
        var big = Math.Max(m, n);
        if (l < 2 || s.Count < 2)
        {
            return Math.Max(1, s.Count);
        }
        var h = s.Count;
        var alpha = (double)l / big;
        // tau-bar: the constant of the paper's threshold, approximated as 2.5129 sqrt(alpha).
        var tauBar = 2.5129 * Math.Sqrt(alpha);
        var xBar = (1 + tauBar) * (1 + (alpha / tauBar));
        var sq = s.Select(v => v * v).ToArray();
        var upper = sq.Sum() / ((double)l * big);
        var k = Math.Min((int)Math.Ceiling(l / (1 + alpha)) - 1, h);
        var lower = k < h
            ? Math.Max(sq[k] / (big * xBar), sq.Skip(k).Average() / big)
            : upper * 1e-6;
        if (!(upper > 0))
        {
            return 1;
        }
        lower = Math.Clamp(lower, upper * 1e-12, upper);
        var sigma2 = MinimiseOnLogScale(v => Objective(sq, v, big, alpha, xBar), lower, upper);
        var threshold = Math.Sqrt(big * sigma2 * xBar);
        var rank = s.Count(v => v > threshold);
        return Math.Max(1, rank);
    }

    // The free energy as a function of the noise variance (constants dropped), all singular values observed.
    private static double Objective(double[] sq, double sigma2, int big, double alpha, double xBar)
    {
        double total = 0;
        foreach (var g in sq)
        {
            var x = g / (big * sigma2);
            if (x <= 0)
            {
                continue;
            }
            if (x > xBar)
            {
                var tau = Tau(x, alpha);
                total += x - tau + Math.Log((tau + 1) / x) + (alpha * Math.Log((tau / alpha) + 1));
            }
            else
            {
                total += x - Math.Log(x);
            }
        }
        return total;
    }

    private static double Tau(double x, double alpha)
    {
        var b = x - (1 + alpha);
        return 0.5 * (b + Math.Sqrt(Math.Max(0, (b * b) - (4 * alpha))));
    }

    // Golden-section search over log(sigma2): the objective is smooth and the bracket is given by the theory.
    private static double MinimiseOnLogScale(Func<double, double> f, double lower, double upper)
    {
        double a = Math.Log(lower), b = Math.Log(upper);
        var ratio = (Math.Sqrt(5) - 1) / 2;
        double c = b - (ratio * (b - a)), d = a + (ratio * (b - a));
        double fc = f(Math.Exp(c)), fd = f(Math.Exp(d));
        for (var i = 0; i < 200 && b - a > 1e-10; i++)
        {
            if (fc < fd)
            {
                b = d;
                d = c;
                fd = fc;
                c = b - (ratio * (b - a));
                fc = f(Math.Exp(c));
            }
            else
            {
                a = c;
                c = d;
                fc = fd;
                d = a + (ratio * (b - a));
                fd = f(Math.Exp(d));
            }
        }
        return Math.Exp((a + b) / 2);
    }
}
