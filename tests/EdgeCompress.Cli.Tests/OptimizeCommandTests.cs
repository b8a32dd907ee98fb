using EdgeCompress.Cli.Tests.Support;
using EdgeCompress.Manifest;

namespace EdgeCompress.Cli.Tests;

[Trait("Category", "heavy")]
public sealed class OptimizeCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgec-optimize-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);


    [Fact]
    public async Task An_unknown_profile_lists_the_known_ones_and_writes_nothing()
    {
        var model = PruneCliTestModel.Write(_dir);
        var outDir = Path.Combine(_dir, "out");
        var (code, _, err) = await CliRunner.RunAsync("optimize", model, "--profile", "rpi3", "--data", "synthetic:8", "--out", outDir);
        Assert.Equal(2, code);
        Assert.Equal("edgec: unknown profile 'rpi3'; known profiles: jetson-nano, jetson-orin-nano, rpi4, rpi5, x64-host", err.Trim());
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public async Task A_budget_no_candidate_meets_exits_1_but_still_writes_every_variant_and_the_pareto_set()
    {
        var model = PruneCliTestModel.Write(_dir);
        var profileText = await File.ReadAllTextAsync(Path.Combine(FindProfiles(), "x64-host.json"));
        var impossible = Path.Combine(_dir, "tiny.json");
        await File.WriteAllTextAsync(impossible, profileText
            .Replace("\"id\": \"x64-host\"", "\"id\": \"tiny\"", StringComparison.Ordinal)
            .Replace("\"targetLatencyMs\": 5", "\"targetLatencyMs\": 0.000001", StringComparison.Ordinal));
        var outDir = Path.Combine(_dir, "out");

        var (code, stdout, _) = await CliRunner.RunAsync("optimize", model, "--profile", impossible, "--data", "synthetic:8", "--out", outDir, "--time-budget", "5m");

        Assert.Equal(1, code);
        Assert.Contains("no variant met the budget", stdout, StringComparison.Ordinal);
        var manifest = ManifestFile.Load(Path.Combine(outDir, "manifest.json"));
        Assert.Null(manifest.Chosen);
        Assert.True(manifest.Variants.Count >= 5, $"only {manifest.Variants.Count} variants kept");
        Assert.Contains(manifest.Variants, v => v.Pareto);
        Assert.All(manifest.Variants, v => Assert.True(File.Exists(Path.Combine(outDir, v.File))));
        Assert.False(File.Exists(Path.Combine(outDir, "chosen.onnx")));
    }

    [Fact]
    public async Task An_arm_profile_without_a_device_labels_latency_as_estimated()
    {
        var model = PruneCliTestModel.Write(_dir);
        var outDir = Path.Combine(_dir, "out");
        var (code, _, err) = await CliRunner.RunAsync("optimize", model, "--profile", "rpi4", "--data", "synthetic:8", "--out", outDir, "--time-budget", "5m");
        OptimizeAssert.ExitMatchesChoice(code, outDir, err);
        Assert.Contains("latency is estimated from the profile's cost model", err, StringComparison.Ordinal);
        var manifest = ManifestFile.Load(Path.Combine(outDir, "manifest.json"));
        Assert.All(manifest.Variants, v => Assert.Equal(("estimated", "cost-model:rpi4"), (v.Latency!.Source, v.Latency.Where)));
        var int8 = manifest.Variants.Single(v => v.Id == "int8");
        Assert.Contains("no dot-product instructions", int8.Why, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_metric_command_judges_every_variant_in_its_own_units_and_the_table_shows_it()
    {
        var model = PruneCliTestModel.Write(_dir);
        var outDir = Path.Combine(_dir, "out");
        // A stand-in for the user's evaluator: 0.93 for the baseline, 0.41 for any int8 file, 0.925 for the rest.
        var script = Path.Combine(_dir, "metric.sh");
        File.WriteAllText(script, "#!/bin/sh\ncase \"$1\" in *baseline.onnx) echo 0.93 ;; *int8*) echo 0.41 ;; *) echo 0.925 ;; esac\n");

        var (code, stdout, err) = await CliRunner.RunAsync("optimize", model, "--profile", "x64-host", "--data", "synthetic:8", "--out", outDir,
            "--time-budget", "5m", "--metric-command", $"sh {script} {{model}} {{data}}", "--max-drop", "0.01");

        OptimizeAssert.ExitMatchesChoice(code, outDir, err);
        Assert.Contains("accuracy budget judged by metric (sh) on synthetic:8", stdout, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^\s+int8\s+0\.41\s+-0\.52\s", stdout);
        Assert.Contains("guard: int8 fails: metric (sh) 0.93 -> 0.41: worse by 0.52, more than the 0.01 allowed", stdout, StringComparison.Ordinal);
        var manifest = ManifestFile.Load(Path.Combine(outDir, "manifest.json"));
        Assert.Equal($"sh {script} {{model}} {{data}}", manifest.Metric);
        Assert.Equal(0.93, manifest.Variants.Single(v => v.Id == "baseline").MetricValue);
        Assert.All(manifest.Variants.Where(v => v.Id.Contains("int8", StringComparison.Ordinal)), v => Assert.False(v.MeetsBudget));
        Assert.DoesNotContain(manifest.Variants, v => v.Id.Contains("int8", StringComparison.Ordinal) && v.Id == manifest.Chosen);
    }

    internal static string FindProfiles()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "device-profiles");
            if (Directory.Exists(p))
            {
                return p;
            }
        }
        throw new DirectoryNotFoundException("device-profiles");
    }
}
