using System.CommandLine;

namespace EdgeCompress.Cli;

/// <summary>The edgec command tree. Commands write to the given writers so tests can run them in process.</summary>
public static class EdgecApp
{
    /// <summary>Exit code: the work succeeded.</summary>
    public const int ExitOk = 0;

    /// <summary>Exit code: the work ran but failed its own check (e.g. an accuracy budget was missed).</summary>
    public const int ExitCheckFailed = 1;

    /// <summary>Exit code: bad input or usage.</summary>
    public const int ExitUsage = 2;

    /// <summary>Parses and runs one edgec invocation.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("edgec: compress ONNX models for ARM edge boards and measure them on the device.");
        var config = new InvocationConfiguration { Output = stdout, Error = stderr };
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
            {
                await stderr.WriteLineAsync($"edgec: {e.Message}").ConfigureAwait(false);
            }
            return ExitUsage;
        }
        return await parse.InvokeAsync(config, cancellationToken).ConfigureAwait(false);
    }
}
