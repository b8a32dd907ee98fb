using System.Globalization;

namespace EdgeCompress.Runtime;

/// <summary>Resident memory of this process from /proc/self/status (Linux), like getrusage's ru_maxrss but resettable.</summary>
public static class ProcessMemory
{
    private const string StatusFile = "/proc/self/status";

    /// <summary>Current resident set (VmRSS), bytes.</summary>
    public static long? TryReadRssBytes() => ReadKilobytes("VmRSS:") * 1024;

    /// <summary>Peak resident set since start or the last <see cref="TryResetPeak"/> (VmHWM), bytes.</summary>
    public static long? TryReadPeakRssBytes() => ReadKilobytes("VmHWM:") * 1024;

    /// <summary>
    /// Resets the peak to the current RSS (writing 5 to /proc/self/clear_refs), so a job's peak is its own and not
    /// an earlier, larger model's. False where the kernel does not allow it; the peak is then process-lifetime.
    /// </summary>
    public static bool TryResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long? ReadKilobytes(string key)
    {
        try
        {
            foreach (var line in File.ReadLines(StatusFile))
            {
                if (line.StartsWith(key, StringComparison.Ordinal))
                {
                    var digits = line[key.Length..].Trim().Split(' ')[0];
                    return long.Parse(digits, CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }

        return null;
    }
}
