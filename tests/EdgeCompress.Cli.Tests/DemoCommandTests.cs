using System.Diagnostics;
using EdgeCompress.Cli.Tests.Support;
using EdgeCompress.Manifest;

namespace EdgeCompress.Cli.Tests;

[Trait("Category", "process")]
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
            "--data", "fashion-mnist:test@300", "--iterations", "30", "--finetune", "fashion-mnist:train@1000", "--finetune-epochs", "1");

        Assert.Contains("2/4 start edged on 127.0.0.1", stderr, StringComparison.Ordinal);
        Assert.Contains("candidates fine-tuned 1 epoch(s) on fashion-mnist:train@1000", stderr, StringComparison.Ordinal);
        Assert.Contains("edged stopped", stderr, StringComparison.Ordinal);
        Assert.Contains($"report: {Path.Combine(outDir, "report.html")}", stdout, StringComparison.Ordinal);
        var manifest = ManifestFile.Load(Path.Combine(outDir, "optimize", "manifest.json"));
        // Exit 0 exactly when a variant was chosen, and chosen.onnx is that variant, byte for byte: the demo measures
        // through edged inside the search, so nothing re-selects after it.
        Assert.True(code == (manifest.Chosen is null ? 1 : 0), stderr);
        Assert.NotNull(manifest.Chosen);
        var chosen = manifest.Variants.Single(v => v.Id == manifest.Chosen);
        Assert.Equal(chosen.Sha256, ManifestFile.Sha256Of(Path.Combine(outDir, "optimize", "chosen.onnx")));
        Assert.True(manifest.Variants.Count >= 3, $"{manifest.Variants.Count} variants");
        Assert.All(manifest.Variants, v => Assert.StartsWith("edged@127.0.0.1:", v.Latency!.Where, StringComparison.Ordinal));
        Assert.All(manifest.Variants, v => Assert.NotNull(v.AccuracyPercent));
        // The box plot draws edged's distribution (its 101 percentiles), the same run the table's p50 comes from.
        Assert.All(manifest.Variants, v =>
        {
            Assert.Equal(101, v.Latency!.SamplesMs!.Count);
            Assert.Equal(v.Latency.P50Ms, v.Latency.SamplesMs[50]);
        });
        var html = await File.ReadAllTextAsync(Path.Combine(outDir, "report.html"));
        Assert.Contains("id=\"accuracy-vs-latency\"><img", html, StringComparison.Ordinal);
        Assert.Contains("id=\"latency-distribution\"><img", html, StringComparison.Ordinal);
        Assert.Contains("id=\"accuracy-vs-size\"><img", html, StringComparison.Ordinal);
        Assert.Contains("id=\"sensitivity\"><img", html, StringComparison.Ordinal);
        // This host has no power sensor: the energy chart may only be missing with the reason written in its place.
        Assert.True(html.Contains("id=\"energy\"><img", StringComparison.Ordinal) || html.Contains("the benchmark asked for power, but", StringComparison.Ordinal),
            "the energy section neither draws a chart nor says why it cannot");
        Assert.Equal(before, EdgedProcesses());
        await Every_variant_accuracy_reproduces_with_edgec_eval(manifest, Path.Combine(outDir, "optimize"), "fashion-mnist:test@300");
    }

    /// <summary>The issue's bar: what the manifest says a variant scores, `edgec eval` on the same data says too (within 0.1 pt).</summary>
    private static async Task Every_variant_accuracy_reproduces_with_edgec_eval(OptimizeManifest manifest, string dir, string data)
    {
        foreach (var v in manifest.Variants)
        {
            var (code, stdout, stderr) = await CliRunner.RunAsync("eval", Path.Combine(dir, v.File), "--data", data, "--runs", "0", "--json");
            Assert.True(code == 0, $"{v.Id}: {stderr}");
            using var doc = System.Text.Json.JsonDocument.Parse(stdout);
            var evaluated = doc.RootElement.GetProperty("top1_percent").GetDouble();
            Assert.True(Math.Abs(evaluated - v.AccuracyPercent!.Value) <= 0.1,
                $"{v.Id}: manifest {v.AccuracyPercent:F2} % but edgec eval {evaluated:F2} %");
        }
    }
}
