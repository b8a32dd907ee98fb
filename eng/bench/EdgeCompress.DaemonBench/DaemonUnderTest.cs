using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using EdgeCompress.Protocol;

namespace EdgeCompress.DaemonBench;

/// <summary>An edged process on a fixed 127.0.0.1 port with a throw-away store.</summary>
internal sealed class DaemonUnderTest : IDisposable
{
    private readonly Process _process;

    private DaemonUnderTest(Process process, string store, int port)
    {
        _process = process;
        Store = store;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(5) };
    }

    public string Store { get; }

    public HttpClient Client { get; }

    public int Pid => _process.Id;

    /// <summary>Starts edged; returns it with the time from process start until /v1/health first answered 200.</summary>
    public static async Task<(DaemonUnderTest Daemon, TimeSpan StartToReady)> StartAsync(string edged, int port, string? store = null)
    {
        store ??= Directory.CreateTempSubdirectory("edged-bench-").FullName;
        var token = Path.Combine(store, "token");
        if (!File.Exists(token))
        {
            // Pre-created so start-to-ready measures a normal start, not the first-install token generation.
            File.WriteAllText(token, Convert.ToHexString(Guid.NewGuid().ToByteArray()) + Convert.ToHexString(Guid.NewGuid().ToByteArray()));
        }

        var native = !edged.EndsWith(".dll", StringComparison.Ordinal);
        var start = new ProcessStartInfo(native ? edged : "dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (!native)
        {
            start.ArgumentList.Add(edged);
        }

        foreach (var arg in new[] { "--urls", $"http://127.0.0.1:{port}", "--store", store, "--token-file", token, "--power-sensor", "none" })
        {
            start.ArgumentList.Add(arg);
        }

        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        while (true)
        {
            try
            {
                using var response = await probe.GetAsync($"http://127.0.0.1:{port}/v1/health");
                if (response.IsSuccessStatusCode)
                {
                    break;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                if (process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(30))
                {
                    if (!process.HasExited)
                    {
                        process.Kill();
                    }

                    throw new InvalidOperationException($"edged did not become ready (exit {(process.HasExited ? process.ExitCode : -1)})");
                }
            }

            await Task.Delay(1);
        }

        var ready = clock.Elapsed;
        var daemon = new DaemonUnderTest(process, store, port);
        daemon.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", File.ReadAllText(token).Trim());
        return (daemon, ready);
    }

    /// <summary>
    /// CPU time all threads have run and time they waited for a CPU, from /proc/PID/task/*/schedstat (ns). On a busy
    /// machine the wait is what separates wall-clock start-to-ready from what edged itself costs.
    /// </summary>
    public (TimeSpan OnCpu, TimeSpan Waiting) SchedulerTimes()
    {
        long onCpu = 0;
        long waiting = 0;
        foreach (var task in Directory.GetDirectories($"/proc/{_process.Id}/task"))
        {
            var fields = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ');
            onCpu += long.Parse(fields[0], System.Globalization.CultureInfo.InvariantCulture);
            waiting += long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
        }

        return (TimeSpan.FromTicks(onCpu / 100), TimeSpan.FromTicks(waiting / 100));
    }

    public long RssBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        return -1;
    }

    public async Task PushAsync(string name, byte[] model)
    {
        using var content = new ByteArrayContent(model);
        content.Headers.Add(ApiContract.ContentSha256Header, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(model)));
        using var response = await Client.PutAsync($"/v1/models/{name}", content);
        response.EnsureSuccessStatusCode();
    }

    public async Task<BenchmarkStatus> BenchmarkAsync(BenchmarkRequest request)
    {
        using var body = new StringContent(JsonSerializer.Serialize(request, ProtocolJsonContext.Default.BenchmarkRequest), Encoding.UTF8, "application/json");
        using var response = await Client.PostAsync("/v1/benchmarks", body);
        response.EnsureSuccessStatusCode();
        var id = JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), ProtocolJsonContext.Default.BenchmarkAccepted)!.Id;
        while (true)
        {
            await Task.Delay(100);
            var status = JsonSerializer.Deserialize(await Client.GetStringAsync($"/v1/benchmarks/{id}"), ProtocolJsonContext.Default.BenchmarkStatus)!;
            if (BenchmarkStates.IsFinal(status.Status))
            {
                return status;
            }
        }
    }

    public void Dispose()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
        Directory.Delete(Store, recursive: true);
    }
}
