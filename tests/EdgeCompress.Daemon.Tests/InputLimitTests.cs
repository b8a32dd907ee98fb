using System.Net;
using System.Text.Json;
using EdgeCompress.Protocol;

namespace EdgeCompress.Daemon.Tests;

/// <summary>edged on a pretend 4 GiB board: MemTotal comes from a fake /proc/meminfo under --sensor-root.</summary>
public sealed class FourGigabyteBoardFixture : IAsyncLifetime
{
    internal EdgedProcess Edged { get; private set; } = null!;

    private string Root { get; } = Directory.CreateTempSubdirectory("edged-board-").FullName;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(Root, "proc"));
        await File.WriteAllTextAsync(Path.Combine(Root, "proc", "meminfo"), "MemTotal:        4194304 kB\nMemFree:         3000000 kB\n");
        Edged = await EdgedProcess.StartAsync(extra: ["--sensor-root", Root]);
    }

    public Task DisposeAsync()
    {
        Edged.Dispose();
        Directory.Delete(Edged.Store, recursive: true);
        Directory.Delete(Root, recursive: true);
        return Task.CompletedTask;
    }
}

public class InputLimitTests(FourGigabyteBoardFixture board) : IClassFixture<FourGigabyteBoardFixture>
{
    private EdgedProcess Edged => board.Edged;

    [Theory]
    [InlineData(100_000_000L, "input 'x' [1,100000000] float needs 400,000,000 bytes; this device allows 268,435,456 per benchmark (maxInputBytes)")]
    [InlineData(10_000_000_000L, "input 'x' [1,10000000000] float needs 40,000,000,000 bytes; this device allows 268,435,456 per benchmark (maxInputBytes)")]
    public async Task An_input_shape_past_a_sixteenth_of_the_boards_memory_is_400_before_anything_is_queued(long width, string expected)
    {
        await Edged.PushAsync("wide", TestModels.Wide());

        var (status, detail) = await SubmitAsync(Edged, "wide", new() { ["x"] = [1, width] });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(expected, detail);
        var jobs = JsonSerializer.Deserialize(await Edged.Client.GetStringAsync("/v1/benchmarks"), ProtocolJsonContext.Default.BenchmarkStatusArray)!;
        Assert.DoesNotContain(jobs, j => j.Request.Model == "wide");
        Assert.DoesNotContain("Overflow", Edged.Output, StringComparison.Ordinal);
        Assert.Contains("benchmark inputs may take up to 268435456 bytes (1/16 of MemTotal 4294967296 bytes", Edged.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    public async Task A_dimension_below_one_is_400_naming_it(long dimension)
    {
        await Edged.PushAsync("wide", TestModels.Wide());

        var (status, detail) = await SubmitAsync(Edged, "wide", new() { ["x"] = [1, dimension] });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal($"inputShapes.x[1] = {dimension}: dimensions must be 1 or more", detail);
    }

    [Fact]
    public async Task An_input_name_the_model_lacks_is_400_listing_its_inputs()
    {
        await Edged.PushAsync("wide", TestModels.Wide());

        var (status, detail) = await SubmitAsync(Edged, "wide", new() { ["y"] = [1, 1] });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("inputShapes names unknown input(s) y; the model's inputs are x", detail);
    }

    internal static async Task<(HttpStatusCode Status, string Detail)> SubmitAsync(EdgedProcess edged, string model, Dictionary<string, long[]> shapes)
    {
        using var response = await edged.Client.PostAsync("/v1/benchmarks", EdgedProcess.Json(new BenchmarkRequest { Model = model, Iterations = 1, Warmup = 0, InputShapes = shapes }));
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.IsSuccessStatusCode ? body : JsonSerializer.Deserialize(body, ProtocolJsonContext.Default.ProblemResponse)!.Detail ?? "");
    }
}

public class ConfiguredInputLimitTests
{
    [Fact]
    public async Task Each_input_counts_its_own_element_size_and_all_inputs_together_must_fit_max_input_bytes()
    {
        using var edged = await EdgedProcess.StartAsync(extra: ["--max-input-bytes", "1000000"]);
        try
        {
            await edged.PushAsync("masked", TestModels.Masked());

            // float x 800,000 + uint8 mask 200,000 = exactly the limit: accepted, and it runs.
            var (fits, accepted) = await InputLimitTests.SubmitAsync(edged, "masked", new() { ["x"] = [1, 200_000], ["mask"] = [1, 200_000] });
            var (over, together) = await InputLimitTests.SubmitAsync(edged, "masked", new() { ["x"] = [1, 200_001], ["mask"] = [1, 200_001] });
            var (alone, single) = await InputLimitTests.SubmitAsync(edged, "masked", new() { ["x"] = [1, 250_001], ["mask"] = [1, 1] });

            Assert.Equal(HttpStatusCode.Accepted, fits);
            var ran = await edged.WaitAsync(JsonSerializer.Deserialize(accepted, ProtocolJsonContext.Default.BenchmarkAccepted)!.Id);
            Assert.True(ran.Status == BenchmarkStates.Completed, ran.Error);
            Assert.Equal(HttpStatusCode.BadRequest, over);
            Assert.Equal("inputs need 1,000,005 bytes together ('x' 800,004 + 'mask' 200,001); this device allows 1,000,000 per benchmark (maxInputBytes)", together);
            Assert.Equal(HttpStatusCode.BadRequest, alone);
            Assert.Equal("input 'x' [1,250001] float needs 1,000,004 bytes; this device allows 1,000,000 per benchmark (maxInputBytes)", single);
        }
        finally
        {
            Directory.Delete(edged.Store, recursive: true);
        }
    }

    [Fact]
    public async Task A_job_queued_under_a_larger_limit_fails_with_the_size_message_instead_of_running_after_a_restart()
    {
        using var first = await EdgedProcess.StartAsync(extra: ["--max-input-bytes", "100000000"]);
        await first.PushAsync("blocker", TestModels.Mlp(width: 128, seed: 40));
        await first.PushAsync("wide", TestModels.Wide());
        var blocker = await first.SubmitAsync(new BenchmarkRequest { Model = "blocker", DurationSeconds = 30 });
        while ((await first.GetAsync(blocker)).Status != BenchmarkStates.Running)
        {
            await Task.Delay(20);
        }

        var waiting = await first.SubmitAsync(new BenchmarkRequest { Model = "wide", Iterations = 1, InputShapes = new() { ["x"] = [1, 1_000_000] } });
        first.Kill();

        using var second = await EdgedProcess.StartAsync(first.Store, extra: ["--max-input-bytes", "1000000"]);
        var status = await second.WaitAsync(waiting);

        Assert.Equal(BenchmarkStates.Failed, status.Status);
        Assert.Equal("input 'x' [1,1000000] float needs 4,000,000 bytes; this device allows 1,000,000 per benchmark (maxInputBytes)", status.Error);
        Assert.Null(status.StartedUtc);
        Directory.Delete(first.Store, recursive: true);
    }
}
