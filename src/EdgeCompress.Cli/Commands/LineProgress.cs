namespace EdgeCompress.Cli.Commands;

/// <summary>Progress lines for long runs, written at once to standard error (never to standard output, which
/// carries results and JSON). Synchronous on purpose: Progress&lt;T&gt; would post lines out of order.</summary>
internal sealed class LineProgress : IProgress<string>
{
    private readonly TextWriter _writer;
    private readonly string _prefix;

    public LineProgress(TextWriter writer, string prefix = "  .. ")
    {
        _writer = writer;
        _prefix = prefix;
    }

    public void Report(string value) => _writer.WriteLine(_prefix + value);
}
