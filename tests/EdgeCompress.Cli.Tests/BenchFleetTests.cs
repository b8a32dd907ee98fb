using EdgeCompress.Fleet;

namespace EdgeCompress.Cli.Tests;

[Collection(FleetCliGroup.Name)]
public sealed class BenchFleetTests : IDisposable
{
    private readonly FleetCliHarness _cli = new();
    private readonly List<LiveEdged> _boards = [];

    public void Dispose()
    {
        _boards.ForEach(b => b.Dispose());
        _cli.Dispose();
    }

    [Fact]
    public async Task Fleet_bench_over_five_daemons_with_one_killed_mid_run_completes_for_the_other_four_and_names_the_fifth()
    {
        _boards.AddRange(await Task.WhenAll(Enumerable.Range(1, 5).Select(i => LiveEdged.StartAsync(profile: $"farm-{i}"))));
        var registry = DeviceRegistry.Load(_cli.RegistryFile);
        for (var i = 0; i < 5; i++)
        {
            var entry = _boards[i].Entry($"node{i + 1}");
            entry.Groups = ["farm"];
            registry.Add(entry);
        }

        registry.Save();

        // Wake each daemon once (JIT, first request) so the CLI's timeouts measure a warm board, as in the field.
        await Task.WhenAll(registry.Devices.Select(async d =>
        {
            using var warm = new EdgedClient(d, TimeSpan.FromSeconds(60));
            await warm.DeviceAsync(CancellationToken.None);
            await warm.ModelsAsync(CancellationToken.None);
        }));
        var model = FleetModels.WriteMlp(_cli.Root, "fleet-mlp.onnx", width: 64, seed: 41);

        var bench = FleetCliHarness.RunAsync("bench", model, "--group", "farm", "--duration", "4", "--parallel", "5", "--timeout", "20");
        var victim = registry.Get("node5");
        var killedWhileRunning = await KillOnceRunningAsync(_boards[4], victim, TimeSpan.FromSeconds(120));
        var result = await bench;

        Assert.True(killedWhileRunning, $"node5's benchmark never started, so the kill did not happen mid-run:\n{result.Out}\n{result.Error}");
        Assert.Equal(1, result.Exit);
        Assert.Contains("benchmarked fleet-mlp on 4 of 5 device(s); failed: node5", result.Out, StringComparison.Ordinal);
        // How the dead board shows (refused, reset mid-stream, no answer) depends on where the kill lands; the line's
        // promise is the device's name and that it is unreachable.
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(result.Error, @"node5: FAILED: device 'node5' unreachable: "), result.Error);
        var records = new ResultsDatabase(_cli.ResultsFile).ReadAll().Select(run => run.Record).ToList();
        Assert.Equal(["node1", "node2", "node3", "node4"], records.Select(r => r.Device).Order(StringComparer.Ordinal));
        Assert.All(records, r => Assert.True(r.Result.Count > 0 && r.Result.MeasuredSeconds >= 3.9, $"{r.Device}: {r.Result.Count} in {r.Result.MeasuredSeconds} s"));
        Assert.Equal(["farm-1", "farm-2", "farm-3", "farm-4"], records.Select(r => r.Profile!).Order(StringComparer.Ordinal));
    }

    /// <summary>Polls the board's metrics until its benchmark has started, then SIGKILLs it (bounded wait).</summary>
    private static async Task<bool> KillOnceRunningAsync(LiveEdged board, DeviceEntry entry, TimeSpan limit)
    {
        using var client = new EdgedClient(entry, TimeSpan.FromSeconds(20));
        var deadline = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < deadline)
        {
            var metrics = await client.MetricsAsync(CancellationToken.None);
            if (metrics.Contains("edged_benchmarks_started_total 1", StringComparison.Ordinal))
            {
                await Task.Delay(500);
                board.Kill();
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }
}
