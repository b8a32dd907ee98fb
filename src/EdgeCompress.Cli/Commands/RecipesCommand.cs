using System.CommandLine;
using System.Text.Json.Nodes;
using EdgeCompress.Compression.Search;

namespace EdgeCompress.Cli.Commands;

/// <summary>
/// `edgec recipes`: the recipe files beside the device profiles and the recipes in each;
/// `edgec recipes NAME|FILE [--profile P]`: one file's recipes as the search would run them (checked, defaults filled);
/// `edgec recipes --schema`: the JSON Schema of recipe files.
/// </summary>
internal static class RecipesCommand
{
    public static Command Create(CliContext ctx)
    {
        var reference = new Argument<string?>("RECIPE") { Description = "a recipe name (see the list), a recipe file, FILE#ID or a manifest.json", Arity = ArgumentArity.ZeroOrOne };
        var profile = new Option<string?>("--profile") { Description = "fill the settings that follow the device profile (scheme, per-channel, reduce-range, channel rounding) from this profile" };
        var schema = new Option<bool>("--schema") { Description = "print the JSON Schema of recipe files (device-profiles/recipes/recipe.schema.json)" };
        var command = new Command("recipes", "List the recipes beside the device profiles, check and show one recipe file, or print the recipe schema.");
        command.Arguments.Add(reference);
        command.Options.Add(profile);
        command.Options.Add(schema);
        command.SetAction(EdgecApp.Guarded(ctx, (parse, ct) =>
        {
            var passes = DefaultPasses.Registry();
            if (parse.GetValue(schema))
            {
                ctx.Out.Write(RecipeFile.Schema(passes));
                return Task.FromResult(EdgecApp.ExitOk);
            }
            if (parse.GetValue(reference) is not { } name)
            {
                List(ctx, passes);
                return Task.FromResult(EdgecApp.ExitOk);
            }
            var target = parse.GetValue(profile) is { } id ? ctx.Env.Profiles.Load(id) : null;
            var recipes = RecipeFile.Resolve(name, ctx.Env.Profiles, passes).Select(r => RecipeFile.ToJson(r.ForProfile(target)));
            var json = new JsonObject { ["recipes"] = new JsonArray([.. recipes]) };
            ctx.Out.Write(RecipeFile.Format(json));
            return Task.FromResult(EdgecApp.ExitOk);
        }));
        return command;
    }

    private static void List(CliContext ctx, PassRegistry passes)
    {
        var names = ctx.Env.Profiles.RecipeNames();
        if (names.Count == 0)
        {
            ctx.Out.WriteLine($"no recipe files in {string.Join(", ", ctx.Env.Profiles.Directories.Select(d => Path.Combine(d, "recipes")))}");
            return;
        }
        foreach (var name in names)
        {
            var path = ctx.Env.Profiles.RecipePathOf(name)!;
            var ids = RecipeFile.Load(path, passes).Select(r => r.Id);
            ctx.Out.WriteLine($"{name,-12} {string.Join(", ", ids)}  ({path})");
        }
        ctx.Out.WriteLine($"passes: {string.Join(", ", passes.Names)}; edgec optimize MODEL --recipe NAME|FILE tries them instead of the built-in grid");
    }
}
