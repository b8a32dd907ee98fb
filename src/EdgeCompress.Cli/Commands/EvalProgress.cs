namespace EdgeCompress.Cli.Commands;

/// <summary>Progress lines for long runs, written at once to standard error (never to standard output, which
/// carries results and JSON). Synchronous on purpose: Progress&lt;T&gt; would post lines out of order.</summary>
internal sealed class LineProgress : IProgress<string>
{
    private readonly TextWriter _writer;

    public LineProgress(TextWriter writer) => _writer = writer;

    public void Report(string value) => _writer.WriteLine($"  .. {value}");
}
