using System.Net;
using System.Text.Json;
using EdgeCompress.Protocol;

namespace EdgeCompress.Daemon.Tests;

public class BenchmarkApiTests(DaemonFixture fixture) : IClassFixture<DaemonFixture>
{
    private EdgedProcess Edged => fixture.Edged;

    [Fact]
    public async Task A_benchmark_of_a_real_model_reports_ordered_percentiles_and_the_asked_count()
    {
        await Edged.PushAsync("bench-mlp", TestModels.Mlp(width: 128, layers: 3, seed: 5));

        var status = await Edged.BenchmarkAsync(new BenchmarkRequest { Model = "bench-mlp", Iterations = 300, Warmup = 5, Threads = 1 });

        Assert.True(status.Status == BenchmarkStates.Completed, status.Error);
        var r = status.Result!;
        Assert.Equal(300, r.Count);
        Assert.Equal(5, r.WarmupCount);
        Assert.True(r.InitMs > 0 && r.FirstInferenceMs > 0);
        Assert.True(r.MinMs <= r.P50Ms && r.P50Ms <= r.P90Ms && r.P90Ms <= r.P95Ms && r.P95Ms <= r.P99Ms && r.P99Ms <= r.P999Ms && r.P999Ms <= r.MaxMs,
            $"min {r.MinMs} p50 {r.P50Ms} p90 {r.P90Ms} p99 {r.P99Ms} max {r.MaxMs}");
        Assert.InRange(r.MeanMs, r.MinMs, r.MaxMs);
        // The percentile curve the host plots: 101 points from min to max, through the reported p50/p90/p99.
        Assert.Equal(101, r.PercentilesMs.Count);
        Assert.Equal((r.MinMs, r.P50Ms, r.P90Ms, r.P99Ms, r.MaxMs), (r.PercentilesMs[0], r.PercentilesMs[50], r.PercentilesMs[90], r.PercentilesMs[99], r.PercentilesMs[100]));
        Assert.Equal(r.PercentilesMs.Order(), r.PercentilesMs);
        // Wall time covers every timed inference, so throughput can never beat 1 / mean latency.
        Assert.InRange(r.ThroughputPerSecond, 1, 1.01 * 1000 / r.MeanMs);
        Assert.InRange(r.MeasuredSeconds, r.MeanMs * r.Count / 1000 * 0.99, 60);
        Assert.True(r.PeakRssBytes > 10_000_000, $"peak RSS {r.PeakRssBytes}");
        Assert.NotNull(r.RssDeltaBytes);
        Assert.True(r.CpuTimeMs > 0);
        Assert.Equal("1.31.1", r.OnnxRuntimeVersion);
        Assert.False(r.Power.Available);
        Assert.Contains("disabled", r.Power.Unavailable, StringComparison.Ordinal);
        Assert.Equal(1, status.ModelVersion!.Version);
    }

    [Fact]
    public async Task A_duration_bounded_benchmark_runs_about_that_long()
    {
        await Edged.PushAsync("bench-duration", TestModels.Mlp(seed: 6));

        var status = await Edged.BenchmarkAsync(new BenchmarkRequest { Model = "bench-duration", DurationSeconds = 0.5 });

        Assert.Equal(BenchmarkStates.Completed, status.Status);
        Assert.InRange(status.Result!.MeasuredSeconds, 0.5, 1.5);
        Assert.True(status.Result.Count > 10);
    }

    [Fact]
    public async Task Symbolic_batch_dimension_takes_the_requested_shape()
    {
        await Edged.PushAsync("bench-batch", TestModels.Mlp(width: 64, layers: 1, seed: 8));

        var one = await Edged.BenchmarkAsync(new BenchmarkRequest { Model = "bench-batch", Iterations = 100 });
        var many = await Edged.BenchmarkAsync(new BenchmarkRequest { Model = "bench-batch", Iterations = 100, InputShapes = new() { ["input"] = [256, 64] } });
        using var wrong = await Edged.Client.PostAsync("/v1/benchmarks", EdgedProcess.Json(new BenchmarkRequest { Model = "bench-batch", Iterations = 10, InputShapes = new() { ["input"] = [1, 63] } }));

        Assert.True(many.Result!.P50Ms > one.Result!.P50Ms, $"batch 256 p50 {many.Result.P50Ms} ms vs batch 1 {one.Result.P50Ms} ms");
        // A shape the model cannot take is refused when submitted, not queued to fail later.
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Contains("inputShapes.input[1] = 63", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Benchmarks_run_one_at_a_time_in_submission_order()
    {
        await Edged.PushAsync("bench-serial", TestModels.Mlp(width: 128, layers: 2, seed: 9));
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await Edged.SubmitAsync(new BenchmarkRequest { Model = "bench-serial", DurationSeconds = 0.3 }));
        }

        var done = new List<BenchmarkStatus>();
        foreach (var id in ids)
        {
            done.Add(await Edged.WaitAsync(id));
        }

        Assert.All(done, s => Assert.Equal(BenchmarkStates.Completed, s.Status));
        for (var i = 1; i < done.Count; i++)
        {
            Assert.True(done[i].StartedUtc >= done[i - 1].FinishedUtc, $"job {i} started {done[i].StartedUtc:O} before job {i - 1} finished {done[i - 1].FinishedUtc:O}");
        }
    }

    [Fact]
    public async Task The_event_stream_carries_progress_and_ends_with_completed()
    {
        await Edged.PushAsync("bench-events", TestModels.Mlp(seed: 10));
        var id = await Edged.SubmitAsync(new BenchmarkRequest { Model = "bench-events", DurationSeconds = 0.8 });

        using var stream = await Edged.Client.GetStreamAsync($"/v1/benchmarks/{id}/events");
        using var reader = new StreamReader(stream);
        var events = new List<BenchmarkEvent>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                events.Add(JsonSerializer.Deserialize(line[6..], ProtocolJsonContext.Default.BenchmarkEvent)!);
            }
        }

        Assert.Equal("completed", events[^1].Kind);
        Assert.Contains(events, e => e.Kind == "running");
        Assert.Contains(events, e => e is { Kind: "progress", Phase: "measure", Done: > 0 });
        Assert.Equal(Enumerable.Range(0, events.Count), events.Select(e => e.Sequence));
    }

    [Fact]
    public async Task Metrics_show_requests_and_the_last_benchmark_in_prometheus_text()
    {
        await Edged.PushAsync("bench-metrics", TestModels.Mlp(seed: 13));
        var status = await Edged.BenchmarkAsync(new BenchmarkRequest { Model = "bench-metrics", Iterations = 50 });
        Assert.Equal(BenchmarkStates.Completed, status.Status);

        using var response = await Edged.Client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("# TYPE edged_http_requests_total counter", text, StringComparison.Ordinal);
        Assert.Matches(@"edged_http_requests_total\{code=""200""\} [1-9]", text);
        Assert.Matches(@"edged_benchmarks_total\{status=""completed""\} [1-9]", text);
        Assert.Contains("edged_last_benchmark_latency_ms{model=\"", text, StringComparison.Ordinal);
        Assert.Contains("edged_models_stored ", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Device_reports_the_architecture_cpu_and_onnx_runtime()
    {
        var device = JsonSerializer.Deserialize(await Edged.Client.GetStringAsync("/v1/device"), ProtocolJsonContext.Default.DeviceInfo)!;

        Assert.Equal(System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "aarch64" : "x86_64", device.Architecture);
        Assert.Equal(Environment.ProcessorCount, device.CpuCount);
        Assert.NotEmpty(device.CpuFeatures);
        Assert.Contains("CPUExecutionProvider", device.ExecutionProviders);
        Assert.Equal("1.31.1", device.OnnxRuntimeVersion);
        Assert.Null(device.TlsFingerprintSha256); // plain HTTP on loopback
    }

    [Fact]
    public async Task Deleting_a_model_while_its_benchmark_waits_fails_that_job_with_a_reason()
    {
        await Edged.PushAsync("bench-blocker", TestModels.Mlp(width: 128, seed: 14));
        await Edged.PushAsync("bench-vanishing", TestModels.Mlp(seed: 15));
        var blocker = await Edged.SubmitAsync(new BenchmarkRequest { Model = "bench-blocker", DurationSeconds = 1 });
        var victim = await Edged.SubmitAsync(new BenchmarkRequest { Model = "bench-vanishing", Iterations = 10 });

        using (var delete = await Edged.Client.DeleteAsync("/v1/models/bench-vanishing"))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }

        var status = await Edged.WaitAsync(victim);
        await Edged.WaitAsync(blocker);
        Assert.Equal(BenchmarkStates.Failed, status.Status);
        Assert.Contains("deleted before the benchmark ran", status.Error, StringComparison.Ordinal);
    }
}
