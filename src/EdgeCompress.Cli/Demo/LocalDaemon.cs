using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace EdgeCompress.Cli.Demo;

/// <summary>
/// An edged process the CLI starts for itself on 127.0.0.1 (plain HTTP on loopback, a fresh store and a generated
/// token), stopped and cleaned up on dispose, whatever happened in between (errors, Ctrl-C).
/// </summary>
internal sealed partial class LocalDaemon : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _root;

    private LocalDaemon(Process process, string root, string url, string tokenFile)
    {
        _process = process;
        _root = root;
        Url = url;
        TokenFile = tokenFile;
    }

    /// <summary>Base URL, e.g. http://127.0.0.1:45123.</summary>
    public string Url { get; }

    /// <summary>File holding the bearer token.</summary>
    public string TokenFile { get; }

    /// <summary>Finds the edged executable: $EDGED_PATH, next to edgec or in its daemon/ folder (a published edgec),
    /// or the repository's build output.</summary>
    public static string Locate()
    {
        if (Environment.GetEnvironmentVariable("EDGED_PATH") is { Length: > 0 } env)
        {
            return File.Exists(env) ? env : throw new UsageException($"EDGED_PATH={env}: file not found");
        }
        foreach (var beside in new[] { Path.Combine(AppContext.BaseDirectory, "edged"), Path.Combine(AppContext.BaseDirectory, "daemon", "edged") })
        {
            if (File.Exists(beside))
            {
                return beside;
            }
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (var config in new[] { "Release", "Debug" })
            {
                var candidate = Path.Combine(dir.FullName, "src", "EdgeCompress.Daemon", "bin", config, "net10.0", "edged");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        throw new UsageException("edged not found: build the solution (dotnet build EdgeCompress.sln) or set EDGED_PATH");
    }

    /// <summary>Starts edged on a free loopback port and waits until /v1/health answers.</summary>
    public static async Task<LocalDaemon> StartAsync(string profile, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var exe = Locate();
        var root = Directory.CreateTempSubdirectory("edgec-demo-edged-").FullName;
        var tokenFile = Path.Combine(root, "token");
        await File.WriteAllTextAsync(tokenFile, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)), cancellationToken).ConfigureAwait(false);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        var url = $"http://127.0.0.1:{FreePort()}";
        var start = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--urls", url, "--store", Path.Combine(root, "store"), "--token-file", tokenFile, "--profile", profile, "--allow-plain-http", "true" })
        {
            start.ArgumentList.Add(a);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {exe}");
        var log = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var daemon = new LocalDaemon(process, root, url, tokenFile);
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (process.HasExited)
                {
                    string text;
                    lock (log)
                    {
                        text = log.ToString().Trim();
                    }
                    throw new InvalidOperationException($"edged exited with code {process.ExitCode} at start: {text.Split('\n').LastOrDefault()}");
                }
                try
                {
                    using var r = await http.GetAsync(new Uri(url + "/v1/health"), cancellationToken).ConfigureAwait(false);
                    if (r.StatusCode == HttpStatusCode.OK)
                    {
                        return daemon;
                    }
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                }
                if (deadline.Elapsed > timeout)
                {
                    throw new TimeoutException($"edged at {url} did not answer /v1/health within {timeout.TotalSeconds:F0} s");
                }
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await daemon.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private const int SigTerm = 15;

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill")]
    private static partial int SendSignal(int pid, int signal);

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Stops edged (SIGTERM for a graceful stop, then kill after 5 s) and removes its store and token.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                // Graceful first: edged finishes or cancels the running benchmark on SIGTERM.
                _ = SendSignal(_process.Id, SigTerm);
            }
        }
        catch (InvalidOperationException)
        {
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
