using EdgeCompress.Cli.Tests.Support;
using EdgeCompress.Manifest;
using EdgeCompress.Fleet;

namespace EdgeCompress.Cli.Tests;

/// <summary>`edgec optimize --device`: latency measured through a live edged, and the cost model calibrated from it.</summary>
[Collection(FleetCliGroup.Name)]
public sealed class OptimizeOnDeviceTests(TwoDaemonsFixture daemons) : IDisposable
{
    private readonly FleetCliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Optimize_on_a_device_measures_every_candidate_there_and_later_estimates_are_calibrated_by_it()
    {
        // The live daemon reports profile "cli-http": a board profile of that id (an rpi4 copy) matches it.
        await FleetCliHarness.RunAsync("devices", "add", "board", daemons.Http.Url, "--token-file", daemons.Http.TokenFile);
        var profile = Path.Combine(_cli.Root, "cli-http.json");
        var rpi4 = await File.ReadAllTextAsync(Path.Combine(OptimizeCommandTests.FindProfiles(), "rpi4.json"));
        await File.WriteAllTextAsync(profile, rpi4.Replace("\"id\": \"rpi4\"", "\"id\": \"cli-http\"", StringComparison.Ordinal));
        var model = PruneCliTestModel.Write(_cli.Root);
        var measuredDir = Path.Combine(_cli.Root, "measured");
        var estimatedDir = Path.Combine(_cli.Root, "estimated");

        var measured = await FleetCliHarness.RunAsync("optimize", model, "--profile", profile, "--device", "board", "--data", "synthetic:8",
            "--out", measuredDir, "--time-budget", "5m");
        var estimated = await FleetCliHarness.RunAsync("optimize", model, "--profile", profile, "--data", "synthetic:8",
            "--out", estimatedDir, "--time-budget", "5m");

        OptimizeAssert.ExitMatchesChoice(measured.Exit, measuredDir, measured.Error);
        var onBoard = ManifestFile.Load(Path.Combine(measuredDir, "manifest.json"));
        Assert.All(onBoard.Variants, v => Assert.Equal(("measured", "board"), (v.Latency!.Source, v.Latency.Where)));
        Assert.All(onBoard.Variants, v => Assert.InRange(v.Latency!.P50Ms, 0.0001, 1000));
        var records = new ResultsDatabase(_cli.ResultsFile).ReadAll().Select(run => run.Record).ToList();
        Assert.True(records.Count >= onBoard.Variants.Count, $"{records.Count} results recorded for {onBoard.Variants.Count} variants");
        Assert.All(records, r => Assert.Equal(("board", "cli-http", 4), (r.Device, r.Profile, r.Threads)));

        OptimizeAssert.ExitMatchesChoice(estimated.Exit, estimatedDir, estimated.Error);
        Assert.Contains("model(s) measured on cli-http boards", estimated.Error, StringComparison.Ordinal);
        var fromModel = ManifestFile.Load(Path.Combine(estimatedDir, "manifest.json"));
        Assert.All(fromModel.Variants, v => Assert.Equal("estimated", v.Latency!.Source));
        Assert.All(fromModel.Variants, v => Assert.StartsWith("cost-model:cli-http calibrated x", v.Latency!.Where, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Optimize_with_an_unknown_device_is_one_line_and_writes_nothing()
    {
        var model = PruneCliTestModel.Write(_cli.Root);
        var outDir = Path.Combine(_cli.Root, "out");

        var result = await FleetCliHarness.RunAsync("optimize", model, "--profile", "rpi4", "--device", "nowhere", "--data", "synthetic:8", "--out", outDir);

        Assert.Equal(2, result.Exit);
        Assert.StartsWith("edgec: ", result.Error, StringComparison.Ordinal);
        Assert.Contains("nowhere", result.Error, StringComparison.Ordinal);
        Assert.Single(result.Error.Trim().Split('\n'));
        Assert.False(Directory.Exists(outDir));
    }
}
