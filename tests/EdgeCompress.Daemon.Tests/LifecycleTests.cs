using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using EdgeCompress.Protocol;

namespace EdgeCompress.Daemon.Tests;

[Trait("Category", "process")]
public class LifecycleTests
{
    [Theory]
    [InlineData(new[] { "--power-sensor", "thermocouple" }, "sensors:power: 'thermocouple' is not one of")]
    [InlineData(new[] { "--urls", "http://0.0.0.0:8080" }, "plain HTTP on 'http://0.0.0.0:8080'")]
    [InlineData(new[] { "--urls", "ftp://x" }, "is not a listen address")]
    [InlineData(new[] { "--profile", "Bad Profile" }, "profile: 'Bad Profile' is not a profile id")]
    [InlineData(new[] { "--quota-bytes", "lots" }, "'lots' at 'QuotaBytes'")]
    [InlineData(new[] { "--max-input-bytes", "0" }, "maxInputBytes: must be positive, got 0")]
    [InlineData(new[] { "--frobnicate", "1" }, "unknown option '--frobnicate'")]
    [InlineData(new[] { "--store" }, "option '--store' needs a value")]
    [InlineData(new[] { "--config", "/nonexistent/edged.json" }, "configuration file /nonexistent/edged.json does not exist")]
    public void Bad_configuration_stops_edged_with_one_clear_line_and_exit_2(string[] args, string expected)
    {
        var store = EdgedProcess.NewStore();
        try
        {
            var (exitCode, output) = EdgedProcess.RunToExit(args.Length == 1 ? args : ["--store", store, "--token-file", Path.Combine(store, "token"), .. args]);

            Assert.Equal(2, exitCode);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.StartsWith("edged: ", lines[0], StringComparison.Ordinal);
            Assert.Contains(expected, lines[0], StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(store, recursive: true);
        }
    }

    [Fact]
    public void Help_documents_every_switch_edged_accepts()
    {
        var (exitCode, output) = EdgedProcess.RunToExit(["--help"]);

        Assert.Equal(0, exitCode);
        Assert.All(EdgeCompress.Daemon.Hosting.CommandLine.SwitchMappings.Keys, option => Assert.Contains(option, output, StringComparison.Ordinal));
        Assert.Contains("1/16 of MemTotal", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_config_file_value_is_validated_like_a_flag_and_named()
    {
        var store = EdgedProcess.NewStore();
        try
        {
            var config = Path.Combine(store, "edged.json");
            File.WriteAllText(config, """{ "maxVersionsPerModel": 0, "sensors": { "sampleRateHz": -5 } }""");

            var (exitCode, output) = EdgedProcess.RunToExit(["--config", config, "--store", store, "--token-file", Path.Combine(store, "token"), "--urls", "http://127.0.0.1:0"]);

            Assert.Equal(2, exitCode);
            Assert.Contains("maxVersionsPerModel: must be 1 to 1000, got 0", output, StringComparison.Ordinal);
            Assert.Contains("sensors:sampleRateHz", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(store, recursive: true);
        }
    }

    [Fact]
    public async Task Token_file_is_created_owner_only_with_a_long_random_token_and_reused_on_restart()
    {
        using var first = await EdgedProcess.StartAsync();
        var tokenFile = Path.Combine(first.Store, "token");
        Assert.True(first.Token.Length >= 40);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));
        Assert.Equal(0, first.Stop());

        using var second = await EdgedProcess.StartAsync(first.Store);
        Assert.Equal(first.Token, second.Token);
        Directory.Delete(first.Store, recursive: true);
    }

    [Fact]
    public async Task Results_are_kept_across_a_restart()
    {
        using var first = await EdgedProcess.StartAsync();
        await first.PushAsync("kept", TestModels.Mlp(seed: 20));
        var done = await first.BenchmarkAsync(new BenchmarkRequest { Model = "kept", Iterations = 40 });
        Assert.Equal(0, first.Stop());

        using var second = await EdgedProcess.StartAsync(first.Store);
        var again = await second.GetAsync(done.Id);

        Assert.Equal(BenchmarkStates.Completed, again.Status);
        Assert.Equal(done.Result!.P50Ms, again.Result!.P50Ms);
        Assert.Equal(done.Result.Count, again.Result.Count);
        using var events = await second.Client.GetStringAsync($"/v1/benchmarks/{done.Id}/events").ContinueWith(t => new StringReader(t.Result));
        Assert.Contains("event: completed", events.ReadToEnd(), StringComparison.Ordinal);
        Directory.Delete(first.Store, recursive: true);
    }

    [Fact]
    public async Task A_result_older_than_the_thousand_jobs_held_in_memory_is_still_served_from_the_file()
    {
        using var first = await EdgedProcess.StartAsync();
        await first.PushAsync("aged", TestModels.Mlp(seed: 22));
        var done = await first.BenchmarkAsync(new BenchmarkRequest { Model = "aged", Iterations = 20 });
        Assert.Equal(0, first.Stop());

        // 1,200 newer finished jobs push the first one out of the scheduler's memory window on the next start.
        var results = Path.Combine(first.Store, "results.jsonl");
        var template = File.ReadLines(results).Last(l => l.Contains(done.Id, StringComparison.Ordinal));
        File.AppendAllLines(results, Enumerable.Range(0, 1200).Select(i => template.Replace(done.Id, $"newer-{i:D4}", StringComparison.Ordinal)));

        using var second = await EdgedProcess.StartAsync(first.Store);
        var again = await second.GetAsync(done.Id);
        var missing = await second.Client.GetAsync("/v1/benchmarks/never-existed");

        Assert.Equal(BenchmarkStates.Completed, again.Status);
        Assert.Equal(done.Result!.P50Ms, again.Result!.P50Ms);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(0, second.Stop());
        Directory.Delete(first.Store, recursive: true);
    }

    [Fact]
    public async Task SIGTERM_during_a_benchmark_stops_cleanly_and_records_the_job_as_cancelled()
    {
        using var first = await EdgedProcess.StartAsync();
        await first.PushAsync("long", TestModels.Mlp(seed: 21));
        var id = await first.SubmitAsync(new BenchmarkRequest { Model = "long", DurationSeconds = 120 });
        while ((await first.GetAsync(id)).Status != BenchmarkStates.Running)
        {
            await Task.Delay(20);
        }

        var stopping = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(0, first.Stop());
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(15), $"stop took {stopping.Elapsed}");

        using var second = await EdgedProcess.StartAsync(first.Store);
        var status = await second.GetAsync(id);
        Assert.Equal(BenchmarkStates.Failed, status.Status);
        Assert.Equal("cancelled because edged is stopping", status.Error);
        Directory.Delete(first.Store, recursive: true);
    }

    [Fact]
    public async Task Kill_9_during_an_upload_leaves_only_complete_checksummed_models_after_restart()
    {
        using var first = await EdgedProcess.StartAsync(extra: ["--max-model-bytes", "200000000"]);
        var complete = TestModels.Mlp(seed: 22);
        await first.PushAsync("complete", complete);

        // A large upload that the daemon is still receiving when it dies.
        var big = TestModels.Mlp(width: 1024, layers: 8, seed: 23); // about 33 MB
        using var content = new StreamContent(new SlowStream(big, bytesPerRead: 65536, delay: TimeSpan.FromMilliseconds(5)));
        content.Headers.ContentLength = big.Length;
        content.Headers.Add(ApiContract.ContentSha256Header, TestModels.Sha256(big));
        var upload = first.Client.PutAsync("/v1/models/interrupted", content);
        var tmp = Path.Combine(first.Store, "tmp");
        while (!Directory.EnumerateFiles(tmp).Any(f => new FileInfo(f).Length > 1_000_000))
        {
            await Task.Delay(10);
        }

        first.Kill();
        await Assert.ThrowsAnyAsync<Exception>(() => upload);

        using var second = await EdgedProcess.StartAsync(first.Store);
        var list = JsonSerializer.Deserialize(await second.Client.GetStringAsync("/v1/models"), ProtocolJsonContext.Default.ModelListResponse)!;
        Assert.Equal(["complete"], list.Models.Select(m => m.Name));
        Assert.Empty(Directory.GetFiles(tmp));
        foreach (var file in Directory.GetFiles(Path.Combine(first.Store, "models"), "*.onnx", SearchOption.AllDirectories))
        {
            var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));
            Assert.EndsWith($"-{sha}.onnx", file, StringComparison.Ordinal);
        }

        var status = await second.BenchmarkAsync(new BenchmarkRequest { Model = "complete", Iterations = 10 });
        Assert.Equal(BenchmarkStates.Completed, status.Status);
        Directory.Delete(first.Store, recursive: true);
    }

    [Fact]
    public async Task A_corrupted_stored_file_is_quarantined_at_start_instead_of_served()
    {
        using var first = await EdgedProcess.StartAsync();
        var stored = await first.PushAsync("rotting", TestModels.Mlp(seed: 24));
        Assert.Equal(0, first.Stop());
        var file = Path.Combine(first.Store, "models", "rotting", $"v1-{stored.Sha256}.onnx");
        var bytes = File.ReadAllBytes(file);
        bytes[^10] ^= 0xFF;
        File.WriteAllBytes(file, bytes);

        using var second = await EdgedProcess.StartAsync(first.Store);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        HttpStatusCode status;
        do
        {
            await Task.Delay(50);
            using var response = await second.Client.GetAsync("/v1/models/rotting");
            status = response.StatusCode;
        }
        while (status == HttpStatusCode.OK && DateTime.UtcNow < deadline);

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Single(Directory.GetFiles(Path.Combine(first.Store, "quarantine")));
        Directory.Delete(first.Store, recursive: true);
    }

    [Fact]
    public async Task A_port_already_in_use_is_one_line_and_exit_2()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var store = EdgedProcess.NewStore();

        var (exitCode, output) = EdgedProcess.RunToExit(["--urls", $"http://127.0.0.1:{port}", "--store", store, "--token-file", Path.Combine(store, "token"), "--power-sensor", "none"]);

        Assert.Equal(2, exitCode);
        Assert.Contains("edged: cannot listen", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Directory.Delete(store, recursive: true);
        await Task.CompletedTask;
    }

    /// <summary>Hands out a buffer in small pieces with pauses, like a slow network.</summary>
    private sealed class SlowStream(byte[] data, int bytesPerRead, TimeSpan delay) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => data.Length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().Result;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(delay, cancellationToken);
            var n = Math.Min(Math.Min(bytesPerRead, buffer.Length), data.Length - _position);
            data.AsMemory(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
