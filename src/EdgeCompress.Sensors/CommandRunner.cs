using System.Diagnostics;

namespace EdgeCompress.Sensors;

/// <summary>Runs a board tool (vcgencmd) and returns its standard output; injected so tests replay recorded output.</summary>
public interface ICommandRunner
{
    /// <summary>Runs <paramref name="fileName"/> with <paramref name="arguments"/>; null with an error when it fails or times out.</summary>
    string? TryRun(string fileName, IReadOnlyList<string> arguments, out string? error);
}

/// <summary>Runs real processes with a short timeout, so a hung firmware call cannot stall a benchmark.</summary>
public sealed class ProcessCommandRunner : ICommandRunner
{
    private readonly TimeSpan _timeout;

    /// <summary>Creates a runner; <paramref name="timeout"/> defaults to 2 s.</summary>
    public ProcessCommandRunner(TimeSpan? timeout = null) => _timeout = timeout ?? TimeSpan.FromSeconds(2);

    /// <inheritdoc />
    public string? TryRun(string fileName, IReadOnlyList<string> arguments, out string? error)
    {
        if (!File.Exists(fileName))
        {
            error = $"{fileName} not found";
            return null;
        }

        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start);
            if (process is null)
            {
                error = $"{fileName} did not start";
                return null;
            }

            var output = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(_timeout))
            {
                process.Kill(entireProcessTree: true);
                error = $"{fileName} timed out after {_timeout.TotalSeconds:0.#} s";
                return null;
            }

            if (process.ExitCode != 0)
            {
                error = $"{fileName} exited with {process.ExitCode}";
                return null;
            }

            error = null;
            return output.GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            error = $"{fileName}: {ex.Message}";
            return null;
        }
    }
}
