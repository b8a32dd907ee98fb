using EdgeCompress.Cli.Tests.Support;
using EdgeCompress.Manifest;

namespace EdgeCompress.Cli.Tests;

public sealed class ReportCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgec-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);


    [Fact]
    public async Task Report_of_an_optimize_folder_writes_one_html_file_with_the_variants()
    {
        var manifest = new OptimizeManifest
        {
            Tool = "edgec test",
            Chosen = "int8",
            Variants =
            [
                new() { Id = "baseline", File = "baseline.onnx", SizeBytes = 1000, AccuracyPercent = 90, Latency = new() { Source = "measured", Where = "local", P50Ms = 2 } },
                new() { Id = "int8", File = "int8.onnx", SizeBytes = 300, AccuracyPercent = 89.9, Latency = new() { Source = "measured", Where = "local", P50Ms = 1 } },
            ],
        };
        ManifestFile.Save(manifest, Path.Combine(_dir, "manifest.json"));
        var outPath = Path.Combine(_dir, "out", "report.html");

        var (code, stdout, _) = await CliRunner.RunAsync("report", _dir, "--out", outPath);

        Assert.Equal(0, code);
        Assert.Contains("2 variants, chosen: int8", stdout, StringComparison.Ordinal);
        var html = await File.ReadAllTextAsync(outPath);
        Assert.Contains("<tr class=\"chosen\"><td class=\"l\">int8</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td>2.00x</td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_of_a_folder_without_a_manifest_is_one_clear_error_and_exit_2()
    {
        var outPath = Path.Combine(_dir, "report.html");
        var (code, _, stderr) = await CliRunner.RunAsync("report", _dir, "--out", outPath);
        Assert.Equal(2, code);
        Assert.Equal($"edgec: {_dir}: no manifest.json in this folder (is it an `edgec optimize` output?)", stderr.Trim());
        Assert.False(File.Exists(outPath));
    }

    [Fact]
    public async Task Report_of_a_corrupt_manifest_names_the_file_and_writes_nothing()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "manifest.json"), "{ \"variants\": 12 }");
        var outPath = Path.Combine(_dir, "report.html");
        var (code, _, stderr) = await CliRunner.RunAsync("report", _dir, "--out", outPath);
        Assert.Equal(2, code);
        Assert.StartsWith($"edgec: {Path.Combine(_dir, "manifest.json")}: not a valid manifest", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(File.Exists(outPath));
    }
}
