namespace EdgeCompress.Compression.Passes;

/// <summary>
/// The work ran but could not do what was asked (a channel prune that would remove nothing, a fine-tune that
/// diverged, a search in which every candidate failed): one line naming why, exit code 1, and no output written.
/// Bad input is a different case (the CLI's usage errors, exit 2).
/// </summary>
public sealed class WorkFailedException : Exception
{
    /// <summary>Creates the exception with a one-line message saying what could not be done and why.</summary>
    public WorkFailedException(string message) : base(message) { }

    /// <summary>Creates the exception with a one-line message and its cause.</summary>
    public WorkFailedException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception with no message (required by the exception pattern).</summary>
    public WorkFailedException() { }
}

/// <summary>How refusals name why: the commonest reasons with their counts.</summary>
public static class Reasons
{
    /// <summary>"3x 'reason a'; 1x 'reason b'": the <paramref name="take"/> most frequent reasons, commonest first.</summary>
    public static string Commonest(IEnumerable<string> reasons, int take) =>
        string.Join("; ", reasons.GroupBy(r => r, StringComparer.Ordinal).OrderByDescending(g => g.Count()).Take(take).Select(g => $"{g.Count()}x '{g.Key}'"));
}
