using System.Diagnostics;
using EdgeCompress.Cli.Tests.Support;
using EdgeCompress.Compression.Manifest;

namespace EdgeCompress.Cli.Tests;

public sealed class DemoCommandTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static int EdgedProcesses() => Process.GetProcessesByName("edged").Length;

    [Fact]
    public async Task Demo_on_a_small_budget_measures_every_variant_through_a_local_edged_and_writes_the_report()
    {
        var before = EdgedProcesses();
        var outDir = _temp.PathOf("demo-out");

        var (code, stdout, stderr) = await CliRunner.RunAsync("demo", "--out", outDir, "--time-budget", "2m",
            "--data", "fashion-mnist:test@300", "--iterations", "30");

        Assert.True(code is 0 or 1, stderr);
        Assert.Contains("3/4 start edged on 127.0.0.1", stderr, StringComparison.Ordinal);
        Assert.Contains("edged stopped", stderr, StringComparison.Ordinal);
        Assert.Contains($"report: {Path.Combine(outDir, "report.html")}", stdout, StringComparison.Ordinal);
        var manifest = ManifestFile.Load(Path.Combine(outDir, "optimize", "manifest.json"));
        Assert.True(manifest.Variants.Count >= 3, $"{manifest.Variants.Count} variants");
        Assert.All(manifest.Variants, v => Assert.StartsWith("edged@127.0.0.1:", v.Latency!.Where, StringComparison.Ordinal));
        Assert.All(manifest.Variants, v => Assert.NotNull(v.AccuracyPercent));
        var html = await File.ReadAllTextAsync(Path.Combine(outDir, "report.html"));
        Assert.Contains("id=\"accuracy-vs-latency\"><img", html, StringComparison.Ordinal);
        Assert.Contains("id=\"latency-distribution\"><img", html, StringComparison.Ordinal);
        Assert.Equal(before, EdgedProcesses());
    }
}
