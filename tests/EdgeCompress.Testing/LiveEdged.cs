using EdgeCompress.Fleet;
using System.Diagnostics;

namespace EdgeCompress.Testing;

/// <summary>
/// A real edged (built next to the tests) running as a child process on 127.0.0.1 with a kernel-chosen port, a
/// private store and token file. Kill() is SIGKILL: the board losing power, as far as the client can tell.
/// </summary>
public sealed class LiveEdged : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private LiveEdged(Process process, string store)
    {
        _process = process;
        Store = store;
    }

    /// <summary>Store folder (deleted on dispose).</summary>
    public string Store { get; }

    /// <summary>The token file the daemon created.</summary>
    public string TokenFile => Path.Combine(Store, "token");

    /// <summary>Base URL, e.g. http://127.0.0.1:40123.</summary>
    public string Url { get; private set; } = "";

    /// <summary>Port.</summary>
    public int Port => new Uri(Url).Port;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    /// <summary>
    /// Starts edged and waits (bounded by <paramref name="startTimeout"/>, 90 s by default) until it listens.
    /// <paramref name="command"/> replaces the default "dotnet edged.dll" (e.g. a native arm64 edged under qemu);
    /// <paramref name="extra"/> is appended to the daemon's switches.
    /// </summary>
    public static async Task<LiveEdged> StartAsync(bool https = false, string profile = "test-host", string? store = null,
        IReadOnlyList<string>? command = null, IReadOnlyList<string>? extra = null, TimeSpan? startTimeout = null)
    {
        store ??= Directory.CreateTempSubdirectory("edged-fleet-").FullName;
        command ??= ["dotnet", Path.Combine(AppContext.BaseDirectory, "edged.dll")];
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Skip(1).Concat(
                 [
                     "--urls", https ? "https://127.0.0.1:0" : "http://127.0.0.1:0",
                     "--store", store, "--token-file", Path.Combine(store, "token"), "--power-sensor", "none", "--profile", profile,
                 ]).Concat(extra ?? []))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("NOTIFY_SOCKET");
        start.Environment.Remove("EDGED_CONFIG");
        var process = Process.Start(start)!;
        var edged = new LiveEdged(process, store);
        process.OutputDataReceived += (_, e) => edged.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => edged.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var first = await Task.WhenAny(edged._listening.Task, process.WaitForExitAsync(), Task.Delay(startTimeout ?? TimeSpan.FromSeconds(90)));
        if (first != edged._listening.Task)
        {
            var output = edged.Output;
            edged.Dispose();
            throw new InvalidOperationException($"edged did not start:\n{output}");
        }

        edged.Url = (await edged._listening.Task).TrimEnd('/');
        return edged;
    }

    /// <summary>A registry entry for this daemon.</summary>
    public DeviceEntry Entry(string name, string? fingerprint = null) => new()
    {
        Name = name,
        Url = Url,
        TokenFile = TokenFile,
        FingerprintSha256 = fingerprint,
        AddedUtc = DateTimeOffset.UtcNow,
    };

    /// <summary>SIGTERM (what systemd sends on stop), then waits; returns the exit code.</summary>
    public int Stop(TimeSpan? timeout = null)
    {
        using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            term.WaitForExit();
        }

        if (!_process.WaitForExit(timeout ?? TimeSpan.FromSeconds(30)))
        {
            throw new TimeoutException($"edged did not stop after SIGTERM:\n{Output}");
        }

        _process.WaitForExit(); // drains the redirected output
        return _process.ExitCode;
    }

    /// <summary>SIGKILL.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
        try
        {
            Directory.Delete(Store, recursive: true);
        }
        catch (IOException)
        {
            // A store still being written by a dying process is left to the temp cleaner.
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Add(line);
        }

        if (EdgedOutput.ListeningUrl(line) is { } url)
        {
            _listening.TrySetResult(url);
        }
    }
}
