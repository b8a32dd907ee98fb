using EdgeCompress.Calibration;
using EdgeCompress.Compression.Pruning;
using EdgeCompress.Compression.Search;
using EdgeCompress.Onnx;
using EdgeCompress.Profiles;

namespace EdgeCompress.Compression.Tests.Search;

public sealed class RecipeFileTests
{
    private static readonly PassRegistry Passes = DefaultPasses.Registry();

    private static string ProfilesFolder()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "device-profiles");
            if (Directory.Exists(Path.Combine(p, "recipes")) && File.Exists(Path.Combine(d.FullName, "EdgeCompress.sln")))
            {
                return p;
            }
        }
        throw new DirectoryNotFoundException("device-profiles/recipes in the checkout");
    }

    private static string Error(string json) =>
        Assert.Throws<InputException>(() => RecipeFile.Parse(json, "r.json", Passes)).Message;

    [Fact]
    public void The_checked_in_schema_is_the_one_the_registry_generates()
    {
        var onDisk = File.ReadAllText(Path.Combine(ProfilesFolder(), "recipes", RecipeFile.SchemaFileName));

        // A setting added to a step record without regenerating the schema fails here:
        // edgec recipes --schema > device-profiles/recipes/recipe.schema.json
        Assert.Equal(RecipeFile.Schema(Passes), onDisk);
    }

    [Fact]
    public void Every_shipped_recipe_file_reads_and_names_each_recipe_once()
    {
        var store = new ProfileStore(ProfilesFolder());
        Assert.Contains("quick", store.RecipeNames());
        foreach (var name in store.RecipeNames())
        {
            var recipes = RecipeFile.Resolve(name, store, Passes);
            Assert.NotEmpty(recipes);
            Assert.Equal(recipes.Count, recipes.Select(r => r.Id).Distinct().Count());
        }
    }

    [Fact]
    public void Settings_the_file_leaves_out_follow_the_profile()
    {
        var store = new ProfileStore(ProfilesFolder());
        var quick = RecipeFile.Resolve("quick", store, Passes);
        var rpi4 = store.Load("rpi4");

        var int8 = (QuantizeStaticStep)quick.Single(r => r.Id == "int8").ForProfile(rpi4).Steps[0];
        var prune = (PruneChannelsStep)quick.Single(r => r.Id == "prune-0.5").ForProfile(rpi4).Steps[0];

        Assert.Equal(rpi4.Quantization.Scheme, int8.Scheme.ToString());
        Assert.Equal(rpi4.Quantization.PerChannel, int8.PerChannel);
        Assert.Equal(rpi4.ChannelRounding, prune.RoundTo);
        Assert.Equal(0.5, prune.Ratio);
        Assert.True(prune.FineTune);
    }

    [Fact]
    public void Every_grid_recipe_written_as_json_reads_back_as_the_same_steps()
    {
        foreach (var id in new ProfileStore(ProfilesFolder()).Ids())
        {
            var profile = new ProfileStore(ProfilesFolder()).Load(id);
            var grid = CandidateGrid.For(profile, matMulHeavy: true, canFineTune: true).Select(r => r.ForProfile(profile)).ToList();
            var text = RecipeFile.Format(new System.Text.Json.Nodes.JsonObject
            {
                ["recipes"] = new System.Text.Json.Nodes.JsonArray([.. grid.Select(r => (System.Text.Json.Nodes.JsonNode)RecipeFile.ToJson(r))]),
            });

            var back = RecipeFile.Parse(text, $"{id}.json", Passes);

            Assert.Equal(grid.Select(r => r.Id), back.Select(r => r.Id));
            for (var i = 0; i < grid.Count; i++)
            {
                Assert.Equal(grid[i].Why, back[i].Why);
                Assert.Equal(grid[i].Steps.Count, back[i].Steps.Count);
                Assert.All(grid[i].Steps.Zip(back[i].Steps), pair => Assert.True(PassRegistry.Same(pair.First, pair.Second), $"{id}/{grid[i].Id}: {pair.First} != {pair.Second}"));
            }
        }
    }

    [Fact]
    public void A_step_reads_into_its_typed_record_with_defaults_for_what_is_left_out()
    {
        var recipe = Assert.Single(RecipeFile.Parse("""
            // comments and trailing commas are allowed
            { "id": "p", "steps": [
                { "pass": "prune-channels", "ratio": 0.4, "importance": "bn-scale", "exclude": ["conv1"], },
                { "pass": "quantize-static", "scheme": "U8S8", "calibrationMethod": "entropy" },
            ] }
            """, "r.json", Passes));

        var prune = Assert.IsType<PruneChannelsStep>(recipe.Steps[0]);
        var quant = Assert.IsType<QuantizeStaticStep>(recipe.Steps[1]);
        Assert.Equal((0.4, ChannelImportanceKind.BnScale, "conv1", (int?)null, false), (prune.Ratio, prune.Importance, prune.Exclude.Single(), prune.RoundTo, prune.FineTune));
        Assert.Equal((Int8Scheme.U8S8, CalibrationMethod.Entropy, (bool?)null), (quant.Scheme, quant.CalibrationMethod, quant.PerChannel));
        Assert.Equal("from r.json", recipe.Why);
        var options = prune.ForProfile(null) is PruneChannelsStep p ? p.ToOptions(null) : null;
        Assert.Equal((0.4, 1, ChannelImportanceKind.BnScale), (options!.Ratio, options.RoundTo, options.Importance));
    }

    [Theory]
    [InlineData("""{"recipes":[{"id":"a","steps":[{"pass":"prune-channels","ratoi":0.5}]}]}""",
        "r.json: recipe 'a' steps[0] (prune-channels): unknown setting 'ratoi'; it has ratio, tailRatio, roundTo, importance, global, exclude, only, layerRatios, recalibrateBatchNorm, fineTune")]
    [InlineData("""{"recipes":[{"id":"a","steps":[{"pass":"prune-channels","ratio":1.5}]}]}""",
        "r.json: recipe 'a' steps[0] (prune-channels): ratio must be in (0, 1), got 1.5")]
    [InlineData("""{"recipes":[{"id":"a","steps":[{"pass":"prune-channels","ratio":"half"}]}]}""",
        "r.json: recipe 'a' steps[0] (prune-channels): ratio: expected a number")]
    [InlineData("""{"recipes":[{"id":"a","steps":[{"pass":"quantize-static","calibrationMethod":"kl"}]}]}""",
        "r.json: recipe 'a' steps[0] (quantize-static): calibrationMethod: expected one of minmax, percentile, entropy")]
    [InlineData("""{"recipes":[{"id":"a","steps":[{"pass":"quantize-static","scheme":8}]}]}""",
        "r.json: recipe 'a' steps[0] (quantize-static): scheme: expected one of S8S8, U8S8")]
    [InlineData("""{"recipes":[{"id":"a","steps":[{"pass":"prune"}]}]}""",
        "r.json: recipe 'a' steps[0]: unknown pass 'prune'; this build has quantize-static, quantize-dynamic, prune-channels, prune-unstructured, factorize, distill-student")]
    [InlineData("""{"recipes":[{"id":"a","steps":[{"pass":"factorize","params":0.5,"energy":0.9}]}]}""",
        "r.json: recipe 'a' steps[0] (factorize): choose one of params, energy, auto or rank/nodeRanks")]
    [InlineData("""{"recipes":[{"id":"a","steps":[{"pass":"prune-channels","layerRatios":{"conv1":2}}]}]}""",
        "r.json: recipe 'a' steps[0] (prune-channels): layerRatios.conv1 must be in [0, 1), got 2")]
    [InlineData("""{"recipes":[{"id":"../x","steps":[{"pass":"quantize-static"}]}]}""",
        "r.json: recipes[0]: id '../x' must be 1-80 letters, digits, '.', '_', '+' or '-' (not starting with a sign), and not 'baseline'")]
    [InlineData("""{"recipes":[{"id":"a","steps":[]}]}""",
        "r.json: recipe 'a': \"steps\" must be a list of at least one step, e.g. [{\"pass\": \"quantize-static\"}]")]
    [InlineData("""{"recipes":[{"id":"a","stepz":[]}]}""",
        "r.json: recipes[0]: unknown field 'stepz'; a recipe has id, why, steps")]
    [InlineData("""{"recipes":[{"id":"a","steps":[{"pass":"quantize-dynamic"}]},{"id":"a","steps":[{"pass":"quantize-dynamic"}]}]}""",
        "r.json: recipes[1]: id 'a' is used twice; ids name the variant files")]
    [InlineData("""[1, 2]""",
        "r.json: a recipe file is an object, {\"recipes\": [...]} or one recipe {\"id\": ..., \"steps\": [...]}")]
    public void A_bad_recipe_is_refused_with_one_line_naming_the_recipe_step_and_setting(string json, string expected) =>
        Assert.Equal(expected, Error(json));

    [Fact]
    public void A_manifest_variant_reads_back_as_the_recipe_that_made_it()
    {
        var dir = Directory.CreateTempSubdirectory("edgec-recipe-").FullName;
        try
        {
            var recipe = new Recipe("prune-0.4+int8", [new PruneChannelsStep { Ratio = 0.4, RoundTo = 8 }, new QuantizeStaticStep { Scheme = Int8Scheme.S8S8 }], "test why");
            var manifest = new EdgeCompress.Manifest.OptimizeManifest();
            manifest.Variants.Add(new EdgeCompress.Manifest.ManifestVariant { Id = "baseline" });
            manifest.Variants.Add(new EdgeCompress.Manifest.ManifestVariant { Id = recipe.Id, Recipe = RecipeFile.ToJson(recipe) });
            var path = Path.Combine(dir, "manifest.json");
            EdgeCompress.Manifest.ManifestFile.Save(manifest, path);

            var back = Assert.Single(RecipeFile.Load(path + "#prune-0.4+int8", Passes));

            Assert.Equal(recipe.Id, back.Id);
            Assert.Equal("test why", back.Why);
            Assert.All(recipe.Steps.Zip(back.Steps), pair => Assert.True(PassRegistry.Same(pair.First, pair.Second)));
            Assert.Equal($"{path}: no recipe 'int8'; it has prune-0.4+int8",
                Assert.Throws<InputException>(() => RecipeFile.Load(path + "#int8", Passes)).Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Two_references_that_give_the_same_id_are_refused()
    {
        var store = new ProfileStore(ProfilesFolder());

        var message = Assert.Throws<InputException>(() => RecipeFile.ResolveAll(["quick", "int8"], store, Passes)).Message;

        Assert.Equal("--recipe int8: recipe id 'int8' is also in an earlier --recipe; ids name the variant files", message);
    }

    [Fact]
    public void An_unknown_recipe_name_lists_the_known_ones()
    {
        var store = new ProfileStore(ProfilesFolder());

        var message = Assert.Throws<InputException>(() => RecipeFile.Resolve("quik", store, Passes)).Message;

        Assert.StartsWith("unknown recipe 'quik'; known recipes: ", message, StringComparison.Ordinal);
        Assert.Contains("quick", message, StringComparison.Ordinal);
    }
}
