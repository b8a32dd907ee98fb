using EdgeCompress.Cli.Tests.Support;
using EdgeCompress.Manifest;

namespace EdgeCompress.Cli.Tests;

/// <summary>optimize --recipe: the user's recipes instead of the grid, recorded typed in the manifest, rebuilt from it.</summary>
public sealed class OptimizeRecipeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgec-recipe-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_recipe_file_replaces_the_grid_and_a_manifest_variant_rebuilds_the_same_file()
    {
        var model = PruneCliTestModel.Write(_dir);
        var recipe = Path.Combine(_dir, "mine.json");
        await File.WriteAllTextAsync(recipe, """
            { "recipes": [
                { "id": "q", "steps": [{ "pass": "quantize-static" }] },
                { "id": "half", "why": "my half", "steps": [{ "pass": "prune-channels", "ratio": 0.5 }] }
            ] }
            """);
        var outDir = Path.Combine(_dir, "out");

        var (code, stdout, err) = await CliRunner.RunAsync("optimize", model, "--profile", "rpi5", "--data", "synthetic:8", "--out", outDir, "--recipe", recipe);

        OptimizeAssert.ExitMatchesChoice(code, outDir, err);
        Assert.Contains($"2 recipe(s) from {recipe}: q, half", stdout, StringComparison.Ordinal);
        var manifest = ManifestFile.Load(Path.Combine(outDir, "manifest.json"));
        Assert.Equal(["baseline", "q", "half"], manifest.Variants.Select(v => v.Id));
        // Settings the file left out are recorded as the profile filled them (rpi5: S8S8, per-channel, channels in 16s).
        var q = manifest.Variants.Single(v => v.Id == "q").Recipe!;
        Assert.Equal(("quantize-static", "S8S8", true), ((string)q["steps"]![0]!["pass"]!, (string)q["steps"]![0]!["scheme"]!, (bool)q["steps"]![0]!["perChannel"]!));
        var half = manifest.Variants.Single(v => v.Id == "half");
        Assert.Equal("my half", (string)half.Recipe!["why"]!);
        Assert.Equal(16, (int)half.Recipe!["steps"]![0]!["roundTo"]!);

        var again = Path.Combine(_dir, "again");
        var (code2, stdout2, err2) = await CliRunner.RunAsync("optimize", model, "--profile", "rpi5", "--data", "synthetic:8", "--out", again,
            "--recipe", Path.Combine(outDir, "manifest.json") + "#half");

        OptimizeAssert.ExitMatchesChoice(code2, again, err2);
        Assert.Contains("1 recipe(s) from", stdout2, StringComparison.Ordinal);
        var rebuilt = ManifestFile.Load(Path.Combine(again, "manifest.json")).Variants.Single(v => v.Id == "half");
        Assert.Equal(half.Sha256, rebuilt.Sha256);
    }

    [Fact]
    public async Task A_bad_recipe_is_refused_before_any_work_and_leaves_no_folder()
    {
        var model = PruneCliTestModel.Write(_dir);
        var recipe = Path.Combine(_dir, "bad.json");
        await File.WriteAllTextAsync(recipe, """{ "id": "p", "steps": [{ "pass": "prune-channels", "ratio": 0.5, "roundto": 8 }] }""");
        var outDir = Path.Combine(_dir, "out");

        var (code, _, err) = await CliRunner.RunAsync("optimize", model, "--profile", "rpi5", "--data", "synthetic:8", "--out", outDir, "--recipe", recipe);

        Assert.Equal(2, code);
        Assert.Equal($"edgec: {recipe}: recipe 'p' steps[0] (prune-channels): unknown setting 'roundto'; it has ratio, tailRatio, roundTo, importance, global, exclude, only, layerRatios, recalibrateBatchNorm, fineTune",
            err.Trim());
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public async Task The_recipes_beside_the_profiles_are_listed_and_shown_with_a_profiles_settings()
    {
        var (code, stdout, err) = await CliRunner.RunAsync("recipes");
        Assert.Equal(0, code);
        Assert.Matches(@"(?m)^quick\s+int8, prune-0\.5, prune-0\.5\+int8\s", stdout);

        var (code2, shown, err2) = await CliRunner.RunAsync("recipes", "quick", "--profile", "x64-host");
        Assert.Equal(0, code2);
        Assert.Contains("\"scheme\": \"U8S8\"", shown, StringComparison.Ordinal);

        var (code3, _, err3) = await CliRunner.RunAsync("recipes", "quik");
        Assert.Equal(2, code3);
        Assert.Equal("edgec: unknown recipe 'quik'; known recipes: int8, quick (or give a recipe file's path)", err3.Trim());
        _ = (err, err2);
    }
}
