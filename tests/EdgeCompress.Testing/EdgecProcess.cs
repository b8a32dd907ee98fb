using System.Diagnostics;

namespace EdgeCompress.Testing;

/// <summary>What one edgec invocation printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>
/// Runs the built edgec as a real process (the edgec.dll copied beside the tests), so exit codes, stderr and
/// the absence of stack traces are checked exactly as a user's shell sees them. A run that outlives its
/// timeout is killed and reported as a hang.
/// </summary>
public static class EdgecProcess
{
    private static string EdgecDll => Path.Combine(AppContext.BaseDirectory, "edgec.dll");

    public static async Task<CliResult> RunAsync(string[] args, TimeSpan? timeout = null, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(EdgecDll);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        start.Environment["NO_COLOR"] = "1";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[k] = v;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start edgec");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"edgec {string.Join(" ", args)} hung (killed after {timeout ?? TimeSpan.FromSeconds(60)})");
        }
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }
}
