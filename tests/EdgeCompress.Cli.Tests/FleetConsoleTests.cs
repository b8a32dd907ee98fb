using EdgeCompress.Cli.Commands;
using EdgeCompress.Fleet;
using EdgeCompress.Protocol;

namespace EdgeCompress.Cli.Tests;

/// <summary>A fleet of a hundred boards must fit one screen: condensed progress, one summary row per profile.</summary>
public sealed class FleetConsoleTests
{
    [Fact]
    public void Over_twelve_boards_progress_is_one_fleet_line_and_the_table_one_row_per_profile()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var console = new FleetConsole(new CliContext(stdout, stderr), devices: 40);
        console.Report(new DeviceProgress("b01", "uploading", 10, 100));
        console.Report(new DeviceProgress("b02", "measure", 0, null));
        console.Failed("b03");
        var outcomes = Enumerable.Range(1, 40).Select(i => i % 10 == 0
            ? new FleetOutcome<BenchRecord>(Device($"b{i:00}"), null, new FleetException(FleetProblem.Unreachable, "gone"), TimeSpan.FromSeconds(1))
            : new FleetOutcome<BenchRecord>(Device($"b{i:00}"), Record($"b{i:00}", i <= 20 ? "rpi5" : "rpi4", p50: i), null, TimeSpan.FromSeconds(1))).ToList();

        BenchTable.Write(console, outcomes);
        var table = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Trim().Length > 0 && !l.Contains('─')).ToList();

        Assert.True(console.Condensed);
        Assert.Equal("fleet 0 s: 1 uploading, 39 waiting (of 40)", stderr.ToString().Split('\n')[0]);   // later reports wait 3 s
        Assert.DoesNotContain("b02", stderr.ToString(), StringComparison.Ordinal);
        Assert.Equal(4, table.Count);   // header, rpi4, rpi5, FAILED
        var rpi5 = table.Single(l => l.Contains("rpi5", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["rpi5", "18", "1.000", "10.00", "19.00", "b19"], rpi5[..6]);
        Assert.Equal(["FAILED", "4"], table[3].Split(' ', StringSplitOptions.RemoveEmptyEntries)[..2]);
        Assert.Contains("per-board rows: edgec results --last 40", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_few_boards_keep_their_own_progress_lines_and_rows()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var console = new FleetConsole(new CliContext(stdout, stderr), devices: 2);
        console.Report(new DeviceProgress("pi1", "uploading", 10, 100));

        BenchTable.Write(console, [new FleetOutcome<BenchRecord>(Device("pi1"), Record("pi1", "rpi5", 2), null, TimeSpan.Zero)]);

        Assert.False(console.Condensed);
        Assert.Equal("pi1: uploading 10% (10 B of 100 B)\n", stderr.ToString());
        Assert.Contains("  pi1  ", stdout.ToString(), StringComparison.Ordinal);
        Assert.Contains("session ms   first ms", stdout.ToString(), StringComparison.Ordinal);
    }

    private static DeviceEntry Device(string name) => new() { Name = name, Url = "https://127.0.0.1:1", TokenFile = "t" };

    private static BenchRecord Record(string device, string profile, double p50) => new()
    {
        Device = device,
        Profile = profile,
        ModelName = "m",
        ModelSha256 = new string('0', 64),
        Result = new BenchmarkResult { Count = 10, P50Ms = p50, P99Ms = p50 * 2 },
    };
}
