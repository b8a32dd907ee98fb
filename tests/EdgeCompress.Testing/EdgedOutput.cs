namespace EdgeCompress.Testing;

/// <summary>What edged's console output says, for the test wrappers that start it as a process.</summary>
public static class EdgedOutput
{
    /// <summary>The URL from edged's "... listening on URL; ..." line, or null for any other line.</summary>
    public static string? ListeningUrl(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        const string marker = " listening on ";
        var at = line.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }
        var rest = line[(at + marker.Length)..];
        return rest[..rest.IndexOfAny([';', ' '])];
    }
}
