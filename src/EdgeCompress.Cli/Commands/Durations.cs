using System.Globalization;

namespace EdgeCompress.Cli.Commands;

/// <summary>--time-budget values (optimize, demo).</summary>
internal static class Durations
{
    /// <summary>Parses 90s, 30m, 2h, or a TimeSpan (00:30:00).</summary>
    public static TimeSpan Parse(string text)
    {
        var t = text.Trim();
        if (t.Length > 1 && double.TryParse(t[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0)
        {
            switch (t[^1])
            {
                case 's': return TimeSpan.FromSeconds(n);
                case 'm': return TimeSpan.FromMinutes(n);
                case 'h': return TimeSpan.FromHours(n);
            }
        }
        if (TimeSpan.TryParse(t, CultureInfo.InvariantCulture, out var ts) && ts >= TimeSpan.Zero)
        {
            return ts;
        }
        throw new UsageException($"--time-budget '{text}': use a duration like 90s, 30m or 2h");
    }
}
