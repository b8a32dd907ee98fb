using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using EdgeCompress.Protocol;

namespace EdgeCompress.Daemon.Tests;

/// <summary>
/// The real edged running as a child process on 127.0.0.1 with a port the kernel picks, a private store and token.
/// Stop() sends SIGTERM (graceful), Kill() sends SIGKILL (a crash).
/// </summary>
internal sealed class EdgedProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private EdgedProcess(Process process, string store)
    {
        _process = process;
        Store = store;
    }

    public string Store { get; }

    public string Token { get; private set; } = "";

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public int Pid => _process.Id;

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

    /// <summary>edged.dll as built next to the tests.</summary>
    public static string EdgedDll => Path.Combine(AppContext.BaseDirectory, "edged.dll");

    public static string NewStore() => Directory.CreateTempSubdirectory("edged-test-").FullName;

    /// <summary>Starts a natively compiled edged binary.</summary>
    public static Task<EdgedProcess> StartNativeAsync(string binary) => StartAsync(executable: binary);

    /// <summary>Starts edged and waits until it serves /v1/health.</summary>
    public static async Task<EdgedProcess> StartAsync(string? store = null, string urls = "http://127.0.0.1:0", string[]? extra = null, string? executable = null)
    {
        store ??= NewStore();
        extra ??= [];
        var args = new List<string> { "--urls", urls, "--store", store, "--token-file", Path.Combine(store, "token") };
        if (executable is null)
        {
            args.Insert(0, EdgedDll);
        }

        if (!extra.Contains("--power-sensor"))
        {
            args.AddRange(["--power-sensor", "none"]);
        }

        args.AddRange(extra);
        var process = Launch(args, executable ?? "dotnet");
        var edged = new EdgedProcess(process, store);
        process.OutputDataReceived += (_, e) => edged.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => edged.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync();
        var first = await Task.WhenAny(edged._listening.Task, exited, Task.Delay(TimeSpan.FromSeconds(60)));
        if (first != edged._listening.Task)
        {
            var output = edged.Output;
            edged.Dispose();
            throw new InvalidOperationException($"edged did not start:\n{output}");
        }

        var url = await edged._listening.Task;
        edged.BaseAddress = new Uri(url.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
        edged.Token = (await File.ReadAllTextAsync(Path.Combine(store, "token"))).Trim();
        edged.Client = edged.CreateClient(edged.Token);
        return edged;
    }

    /// <summary>Runs edged to completion (for start-up failures) and returns exit code and output.</summary>
    public static (int ExitCode, string Output) RunToExit(IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        using var process = Launch([EdgedDll, .. arguments], "dotnet");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("edged did not exit");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    public HttpClient CreateClient(string? token, HttpMessageHandler? handler = null)
    {
        var client = handler is null ? new HttpClient() : new HttpClient(handler);
        client.BaseAddress = BaseAddress;
        client.Timeout = TimeSpan.FromSeconds(60);
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>An upload body carrying its X-Content-SHA256, as every client must send it.</summary>
    public static ByteArrayContent Checksummed(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.Add(ApiContract.ContentSha256Header, TestModels.Sha256(body));
        return content;
    }

    public async Task<ModelVersionInfo> PushAsync(string name, byte[] model)
    {
        using var content = Checksummed(model);
        using var response = await Client.PutAsync($"/v1/models/{name}", content);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"push {name}: {(int)response.StatusCode} {body}");
        return JsonSerializer.Deserialize(body, ProtocolJsonContext.Default.ModelVersionInfo)!;
    }

    public async Task<BenchmarkStatus> BenchmarkAsync(BenchmarkRequest request, TimeSpan? timeout = null)
    {
        var id = await SubmitAsync(request);
        return await WaitAsync(id, timeout);
    }

    public async Task<string> SubmitAsync(BenchmarkRequest request)
    {
        using var response = await Client.PostAsync("/v1/benchmarks", Json(request));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, $"submit: {(int)response.StatusCode} {body}");
        return JsonSerializer.Deserialize(body, ProtocolJsonContext.Default.BenchmarkAccepted)!.Id;
    }

    public async Task<BenchmarkStatus> WaitAsync(string id, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var status = await GetAsync(id);
            if (BenchmarkStates.IsFinal(status.Status) || DateTime.UtcNow > deadline)
            {
                return status;
            }

            await Task.Delay(50);
        }
    }

    public async Task<BenchmarkStatus> GetAsync(string id)
    {
        var body = await Client.GetStringAsync($"/v1/benchmarks/{id}");
        return JsonSerializer.Deserialize(body, ProtocolJsonContext.Default.BenchmarkStatus)!;
    }

    public static StringContent Json(BenchmarkRequest request) =>
        new(JsonSerializer.Serialize(request, ProtocolJsonContext.Default.BenchmarkRequest), System.Text.Encoding.UTF8, "application/json");

    /// <summary>SIGTERM, then waits; returns the exit code.</summary>
    public int Stop(TimeSpan? timeout = null)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }

        if (!_process.WaitForExit(timeout ?? TimeSpan.FromSeconds(30)))
        {
            _process.Kill();
            throw new TimeoutException($"edged did not stop after SIGTERM:\n{Output}");
        }

        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no chance to clean up, like a power cut for the process.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    public void Dispose()
    {
        Client?.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private static Process Launch(IEnumerable<string> arguments, string executable)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("NOTIFY_SOCKET");
        start.Environment.Remove("EDGED_CONFIG");
        return Process.Start(start)!;
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
