using System.Text.Json;
using EdgeCompress.Fleet;
using EdgeCompress.Protocol;

namespace EdgeCompress.Cli.Tests;

[Collection(FleetCliGroup.Name)]
public sealed class ResultsCommandTests : IDisposable
{
    private readonly FleetCliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Bench_runs_are_listed_filtered_by_model_file_and_device_and_exported()
    {
        var model = FleetModels.WriteMlp(_cli.Root, "listed.onnx", seed: 41);
        var other = FleetModels.WriteMlp(_cli.Root, "other.onnx", seed: 42);
        await FleetCliHarness.RunAsync("bench", model, "--device", "local", "--iterations", "20");
        await FleetCliHarness.RunAsync("bench", other, "--device", "local", "--iterations", "20");
        await FleetCliHarness.RunAsync("bench", model, "--device", "local", "--iterations", "30");

        var all = await FleetCliHarness.RunAsync("results");
        var byFile = await FleetCliHarness.RunAsync("results", "--model", model, "--json");
        var byName = await FleetCliHarness.RunAsync("results", "--model", "other", "--device", "local", "--last", "1");
        var elsewhere = await FleetCliHarness.RunAsync("results", "--device", "pi9");
        var csvFile = Path.Combine(_cli.Root, "sel.csv");
        var csv = await FleetCliHarness.RunAsync("results", "--model", "listed.onnx", "--since", "1h", "--export", "csv", "--out", csvFile);

        Assert.Equal(0, all.Exit);
        Assert.Equal(3, all.Out.Split('\n').Count(l => l.Contains("  local  ", StringComparison.Ordinal)));
        Assert.Contains($"3 run(s) from {_cli.ResultsFile}", all.Error, StringComparison.Ordinal);
        var runs = JsonDocument.Parse(byFile.Out).RootElement;
        Assert.Equal([20, 30], runs.EnumerateArray().Select(r => r.GetProperty("result").GetProperty("count").GetInt32()));
        Assert.Equal([1L, 3L], runs.EnumerateArray().Select(r => r.GetProperty("runId").GetInt64()));
        Assert.Equal(0, byName.Exit);
        Assert.Contains("  other  ", byName.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("  listed  ", byName.Out, StringComparison.Ordinal);
        Assert.Equal((0, $"no runs match in {_cli.ResultsFile}\n"), (elsewhere.Exit, elsewhere.Error));
        Assert.Equal(0, csv.Exit);
        Assert.Equal(3, (await File.ReadAllLinesAsync(csvFile)).Length);
    }

    [Fact]
    public async Task Compare_flags_a_regression_with_its_size_and_band_and_exits_1()
    {
        var database = new ResultsDatabase(_cli.ResultsFile);
        var ids = database.Append([Run(10.0, 0.4), Run(10.05, 0.4), Run(12.5, 0.4)]);

        var noise = await FleetCliHarness.RunAsync("results", "--compare", ids[0].ToString(), ids[1].ToString());
        var regressed = await FleetCliHarness.RunAsync("results", "--compare", ids[0].ToString(), ids[2].ToString());
        var json = await FleetCliHarness.RunAsync("results", "--compare", ids[0].ToString(), ids[2].ToString(), "--json");

        Assert.Equal(0, noise.Exit);
        Assert.Contains("no regression", noise.Out, StringComparison.Ordinal);
        Assert.Equal(1, regressed.Exit);
        var p50Row = regressed.Out.Split('\n').Single(l => l.Contains("p50 ms", StringComparison.Ordinal));
        Assert.Contains("+2.500 (+25.0%)", p50Row, StringComparison.Ordinal);
        Assert.Contains("±0.1568", p50Row, StringComparison.Ordinal);
        Assert.Contains("REGRESSION", p50Row, StringComparison.Ordinal);
        Assert.Contains("REGRESSION: a change is called only beyond both its noise band", regressed.Out, StringComparison.Ordinal);
        var p50 = JsonDocument.Parse(json.Out).RootElement.GetProperty("changes")[0];
        Assert.Equal(("p50 ms", "REGRESSION"), (p50.GetProperty("metric").GetString(), p50.GetProperty("verdict").GetString()));
        Assert.Equal(25.0, p50.GetProperty("deltaPercent").GetDouble(), 6);
    }

    [Fact]
    public async Task A_json_lines_database_from_an_earlier_edgec_is_imported_on_first_use()
    {
        var legacy = Path.Combine(_cli.Root, "data", "bench-results.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(legacy)!);
        await File.WriteAllTextAsync(legacy, JsonSerializer.Serialize(Run(3.0, 0.1), FleetJsonContext.Default.BenchRecord) + "\n");

        var first = await FleetCliHarness.RunAsync("results");
        var second = await FleetCliHarness.RunAsync("results");

        Assert.Equal(0, first.Exit);
        Assert.Contains($"imported 1 run(s) from {legacy} into {_cli.ResultsFile}; the old file is kept as {legacy}.imported", first.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("imported", second.Error, StringComparison.Ordinal);
        Assert.Contains("  pi5  ", second.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--since|yesterday", "edgec: --since must be a duration (30m, 12h, 7d, 2w) or a date (2026-12-01), got 'yesterday'\n")]
    [InlineData("--compare|1|99", "edgec: results database {db} has no run 99 (see `edgec results` for the ids)\n")]
    [InlineData("--last|0", "edgec: --last must be at least 1, got 0\n")]
    [InlineData("--export|xml", "edgec: --export must be csv or json, got 'xml'\n")]
    public async Task Bad_arguments_are_one_line_and_exit_2(string args, string error)
    {
        new ResultsDatabase(_cli.ResultsFile).Append([Run(1.0, 0.1)]);

        var result = await FleetCliHarness.RunAsync(["results", .. args.Split('|')]);

        Assert.Equal((2, error.Replace("{db}", _cli.ResultsFile, StringComparison.Ordinal)), (result.Exit, result.Error));
        Assert.Equal("", result.Out);
    }

    private static BenchRecord Run(double p50, double halfWidth) => new()
    {
        TimeUtc = DateTimeOffset.UtcNow,
        Device = "pi5",
        Profile = "rpi5",
        ModelFile = "/m/model.onnx",
        ModelName = "model",
        ModelSha256 = new string('a', 64),
        Threads = 4,
        Result = new BenchmarkResult
        {
            Count = 200,
            P50Ms = p50,
            P90Ms = p50 + 1.6 * halfWidth,
            P99Ms = p50 + 1.96 * halfWidth,
            MeanMs = p50,
            StdMs = halfWidth,
            OnnxRuntimeVersion = "1.31.1",
            PercentilesMs = [.. Enumerable.Range(0, 101).Select(i => p50 + (i - 50) / 25.0 * halfWidth)],
        },
    };
}
