using EdgeCompress.Protocol;

namespace EdgeCompress.Fleet.Tests;

/// <summary>One plain-HTTP edged on 127.0.0.1 shared by the client tests.</summary>
public sealed class HttpDaemonFixture : IAsyncLifetime
{
    internal LiveEdged Edged { get; private set; } = null!;

    public string Folder { get; } = Directory.CreateTempSubdirectory("fleet-client-").FullName;

    public async Task InitializeAsync() => Edged = await LiveEdged.StartAsync(profile: "rpi5");

    public Task DisposeAsync()
    {
        Edged.Dispose();
        Directory.Delete(Folder, recursive: true);
        return Task.CompletedTask;
    }
}

public sealed class EdgedClientTests(HttpDaemonFixture daemon) : IClassFixture<HttpDaemonFixture>
{
    [Fact]
    public async Task Client_reads_health_device_and_metrics_of_a_real_daemon()
    {
        using var client = new EdgedClient(daemon.Edged.Entry("board"));
        var health = await client.HealthAsync(CancellationToken.None);
        var device = await client.DeviceAsync(CancellationToken.None);
        var metrics = await client.MetricsAsync(CancellationToken.None);

        Assert.Equal("ok", health.Status);
        Assert.Equal("rpi5", device.Profile);
        Assert.False(string.IsNullOrEmpty(device.OnnxRuntimeVersion));
        Assert.Null(device.TlsFingerprintSha256);
        Assert.Contains("edged_uptime_seconds", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_stores_the_bytes_once_and_a_second_push_sends_nothing()
    {
        var model = ModelFile.Open(FleetModels.WriteMlp(daemon.Folder, "push-once.onnx", seed: 11));
        using var client = new EdgedClient(daemon.Edged.Entry("board"));
        long lastSent = 0;
        var first = await ModelPusher.PushAsync(client, model, "push-once", new SyncProgress<long>(b => lastSent = b), null, null, CancellationToken.None);
        var second = await ModelPusher.PushAsync(client, model, "push-once", null, null, null, CancellationToken.None);
        var stored = await client.ModelAsync("push-once", CancellationToken.None);

        Assert.True(first.Uploaded);
        Assert.Equal(model.Length, lastSent);
        Assert.False(second.Uploaded);
        Assert.Equal(first.Version.Version, second.Version.Version);
        Assert.Equal(model.Sha256, Assert.Single(stored!.Versions).Sha256);
        Assert.True(await client.DeleteModelAsync("push-once", null, CancellationToken.None));
        Assert.Null(await client.ModelAsync("push-once", CancellationToken.None));
    }

    [Fact]
    public async Task Upload_dropped_mid_stream_is_retried_and_lands_whole()
    {
        var model = ModelFile.Open(FleetModels.WriteMlp(daemon.Folder, "flaky.onnx", width: 64, seed: 12));
        using var proxy = new DroppingProxy(daemon.Edged.Port, dropCount: 1);
        var entry = daemon.Edged.Entry("flaky");
        entry.Url = proxy.Url;
        using var client = new EdgedClient(entry);
        var notices = new List<string>();
        var retry = new UploadRetry { FirstBackoff = TimeSpan.FromMilliseconds(100) };

        var outcome = await ModelPusher.PushAsync(client, model, "flaky", null, notices.Add, retry, CancellationToken.None);

        Assert.Equal(1, proxy.Dropped);
        Assert.Equal(2, outcome.Attempts);
        Assert.Equal(model.Sha256, outcome.Version.Sha256);
        Assert.Contains(notices, n => n.Contains("upload attempt 1 of 4 failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Remote_bench_pushes_when_missing_and_measures_the_requested_iterations()
    {
        var model = ModelFile.Open(FleetModels.WriteMlp(daemon.Folder, "bench.onnx", seed: 13));
        using var client = new EdgedClient(daemon.Edged.Entry("board"));
        var phases = new List<string>();
        var settings = new BenchSettings { Iterations = 30, Warmup = 2 };

        var first = await RemoteBench.RunAsync(client, model, "bench", settings, new SyncProgress<DeviceProgress>(p => phases.Add(p.Phase)), null, CancellationToken.None);
        var again = await RemoteBench.RunAsync(client, model, "other-name", settings, null, null, CancellationToken.None);

        Assert.Equal(30, first.Result.Count);
        Assert.Equal(2, first.Result.WarmupCount);
        Assert.InRange(first.Result.P50Ms, 0.0001, 1000);
        Assert.True(first.Result.P50Ms <= first.Result.P99Ms);
        Assert.Equal("rpi5", first.Profile);
        Assert.Equal(model.Sha256, first.ModelSha256);
        Assert.Contains("uploading", phases);
        Assert.Contains("measure", phases);

        // The same bytes are found by SHA-256 under the first name: no second upload, no new store entry.
        Assert.Equal("bench", again.ModelName);
        Assert.Null(await client.ModelAsync("other-name", CancellationToken.None));
    }

    [Fact]
    public async Task Wrong_token_is_explained_as_rejected_by_the_device()
    {
        var tokenFile = Path.Combine(daemon.Folder, "wrong-token");
        await File.WriteAllTextAsync(tokenFile, "not-the-token-of-this-board");
        var entry = daemon.Edged.Entry("pi-wrong");
        entry.TokenFile = tokenFile;
        using var client = new EdgedClient(entry);

        var error = await Assert.ThrowsAsync<FleetException>(() => client.DeviceAsync(CancellationToken.None));

        Assert.Equal(FleetProblem.Unauthorized, error.Problem);
        Assert.StartsWith("token rejected by pi-wrong", error.Message, StringComparison.Ordinal);
        Assert.Contains("check --token-file", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-token", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_board_that_never_answers_is_unreachable_with_the_timeout_stated()
    {
        using var silent = new SilentListener();
        var entry = daemon.Edged.Entry("hung");
        entry.Url = silent.Url;
        using var client = new EdgedClient(entry, TimeSpan.FromSeconds(0.5));

        var error = await Assert.ThrowsAsync<FleetException>(() => client.HealthAsync(CancellationToken.None));

        Assert.Equal(FleetProblem.Unreachable, error.Problem);
        Assert.Equal($"device 'hung' unreachable: no answer from {silent.Url} within 0.5 s", error.Message);
    }

    [Fact]
    public async Task A_closed_port_is_unreachable_naming_the_url()
    {
        var entry = daemon.Edged.Entry("gone");
        entry.Url = SilentListener.ClosedUrl();
        using var client = new EdgedClient(entry);

        var error = await Assert.ThrowsAsync<FleetException>(() => client.HealthAsync(CancellationToken.None));

        Assert.Equal(FleetProblem.Unreachable, error.Problem);
        Assert.StartsWith($"device 'gone' unreachable: cannot connect to {entry.Url} (", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }
}

/// <summary>An IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool, which races asserts).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
