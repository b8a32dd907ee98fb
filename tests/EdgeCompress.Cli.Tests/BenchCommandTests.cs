using System.Text.Json;
using EdgeCompress.Fleet;

namespace EdgeCompress.Cli.Tests;

[Collection(FleetCliGroup.Name)]
public sealed class BenchCommandTests(TwoDaemonsFixture daemons) : IDisposable
{
    private readonly FleetCliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Bench_local_prints_a_result_row_and_appends_it_to_the_results_database()
    {
        var model = FleetModels.WriteMlp(_cli.Root, "local-mlp.onnx", seed: 31);

        var result = await FleetCliHarness.RunAsync("bench", model, "--device", "local", "--iterations", "40", "--warmup", "3");
        var records = new ResultsDatabase(_cli.ResultsFile).ReadAll().Select(run => run.Record).ToList();

        Assert.Equal(0, result.Exit);
        Assert.Contains("p50 ms", result.Out, StringComparison.Ordinal);
        Assert.Contains("benchmarked local-mlp on 1 of 1 device(s)", result.Out, StringComparison.Ordinal);
        Assert.Contains($"appended 1 result(s) to {_cli.ResultsFile}", result.Error, StringComparison.Ordinal);
        var record = Assert.Single(records);
        Assert.Equal(("local", 40, 3), (record.Device, record.Result.Count, record.Result.WarmupCount));
        Assert.Equal(ModelFile.Open(model).Sha256, record.ModelSha256);
        Assert.InRange(record.Result.P50Ms, 0.0001, 1000);
        Assert.DoesNotContain("\u001b[", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_on_a_device_pushes_once_reports_json_and_exports_csv_and_json()
    {
        await FleetCliHarness.RunAsync("devices", "add", "bencher", daemons.Http.Url, "--token-file", daemons.Http.TokenFile);
        var model = FleetModels.WriteMlp(_cli.Root, "remote-mlp.onnx", seed: 32);

        var first = await FleetCliHarness.RunAsync("bench", model, "--device", "bencher", "--iterations", "25", "--json");
        var second = await FleetCliHarness.RunAsync("bench", model, "--device", "bencher", "--duration", "0.3", "--threads", "2");
        var csvFile = Path.Combine(_cli.Root, "results.csv");
        var csv = await FleetCliHarness.RunAsync("bench", "--export", "csv", "--out", csvFile);
        var json = await FleetCliHarness.RunAsync("bench", "--export", "json");

        Assert.Equal(0, first.Exit);
        var outcome = Assert.Single(JsonSerializer.Deserialize(first.Out, FleetJsonContext.Default.ListFleetOutcomeReport)!);
        Assert.True(outcome.Ok);
        Assert.Equal(25, outcome.Record!.Result.Count);
        Assert.Equal("cli-http", outcome.Record.Profile);
        Assert.Contains("bencher: uploading", first.Error, StringComparison.Ordinal);
        Assert.Equal(0, second.Exit);
        Assert.DoesNotContain("uploading", second.Error, StringComparison.Ordinal);
        Assert.Contains("bencher", second.Out, StringComparison.Ordinal);
        var lines = (await File.ReadAllTextAsync(csvFile)).TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.All(lines.Skip(1), l => Assert.StartsWith("20", l, StringComparison.Ordinal));
        Assert.Equal(2, JsonDocument.Parse(json.Out).RootElement.GetArrayLength());
        Assert.Equal(0.3, JsonDocument.Parse(json.Out).RootElement[1].GetProperty("durationSeconds").GetDouble());
    }

    [Fact]
    public async Task Bad_bench_settings_are_one_line_before_anything_is_sent()
    {
        var model = FleetModels.WriteMlp(_cli.Root, "settings.onnx");

        var both = await FleetCliHarness.RunAsync("bench", model, "--device", "local", "--iterations", "5", "--duration", "1");
        var nowhere = await FleetCliHarness.RunAsync("bench", model);
        var export = await FleetCliHarness.RunAsync("bench", "--export", "xml");

        Assert.Equal((2, "edgec: give either --iterations or --duration, not both\n"), (both.Exit, both.Error));
        Assert.Equal((2, "edgec: say where: --device NAME, --all or --group G (or --device local)\n"), (nowhere.Exit, nowhere.Error));
        Assert.Equal((2, "edgec: --export must be csv or json, got 'xml'\n"), (export.Exit, export.Error));
    }
}
