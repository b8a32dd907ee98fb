using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Search;

/// <summary>
/// Recipe files: {"recipes": [{"id", "why", "steps": [{"pass", settings...}]}]} or one recipe object; also a
/// manifest.json, whose variants record the recipes that made them. "FILE#ID" picks one recipe (or one variant).
/// Every problem is one line naming the file, the recipe and the setting; nothing is tried until the whole file reads.
/// </summary>
public static partial class RecipeFile
{
    /// <summary>The schema's file name, beside the shipped recipes.</summary>
    public const string SchemaFileName = "recipe.schema.json";

    private static readonly JsonDocumentOptions Reading = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._+-]{0,79}$")]
    private static partial Regex IdPattern();

    /// <summary>
    /// Reads the recipes a user named: a file (FILE, FILE#ID, a manifest) or the name of a recipe file beside the device
    /// profiles (recipes/NAME.json in the profile folders, searched in their order).
    /// </summary>
    public static IReadOnlyList<Recipe> Resolve(string reference, Profiles.ProfileStore store, PassRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(store);
        var isName = !reference.Contains('/') && !reference.Contains('#') && !reference.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && !File.Exists(reference);
        if (!isName)
        {
            return Load(reference, registry);
        }
        if (store.RecipePathOf(reference) is { } path)
        {
            return Load(path, registry);
        }
        var known = store.RecipeNames();
        throw new InputException(known.Count == 0
            ? $"unknown recipe '{reference}': no recipes/ folder in {string.Join(", ", store.Directories)}"
            : $"unknown recipe '{reference}'; known recipes: {string.Join(", ", known)} (or give a recipe file's path)");
    }

    /// <summary>Every recipe the references name, in order (see <see cref="Resolve"/>); an id given by two references
    /// is refused, since ids name the variant files.</summary>
    public static IReadOnlyList<Recipe> ResolveAll(IEnumerable<string> references, Profiles.ProfileStore store, PassRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(references);
        var recipes = new List<Recipe>();
        foreach (var reference in references)
        {
            foreach (var r in Resolve(reference, store, registry))
            {
                if (recipes.Any(x => x.Id == r.Id))
                {
                    throw new InputException($"--recipe {reference}: recipe id '{r.Id}' is also in an earlier --recipe; ids name the variant files");
                }
                recipes.Add(r);
            }
        }
        return recipes;
    }

    /// <summary>Reads FILE or FILE#ID.</summary>
    public static IReadOnlyList<Recipe> Load(string reference, PassRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var hash = reference.LastIndexOf('#');
        var (path, id) = hash > 0 ? (reference[..hash], reference[(hash + 1)..]) : (reference, null);
        if (!File.Exists(path))
        {
            throw new InputException($"{path}: recipe file not found");
        }
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException($"{path}: cannot read ({e.Message})", e);
        }
        var recipes = Parse(text, path, registry);
        if (id is null)
        {
            return recipes;
        }
        return [recipes.FirstOrDefault(r => r.Id == id) ?? throw new InputException($"{path}: no recipe '{id}'; it has {string.Join(", ", recipes.Select(r => r.Id))}")];
    }

    /// <summary>Reads recipe JSON; <paramref name="source"/> names it in errors.</summary>
    public static IReadOnlyList<Recipe> Parse(string text, string source, PassRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(text, documentOptions: Reading);
        }
        catch (JsonException e)
        {
            throw new InputException($"{source}: not valid JSON (line {e.LineNumber + 1}: {e.Message.Split(". ", 2)[0]})", e);
        }
        if (root is not JsonObject top)
        {
            throw new InputException($"{source}: a recipe file is an object, {{\"recipes\": [...]}} or one recipe {{\"id\": ..., \"steps\": [...]}}");
        }
        var items = new List<(JsonNode? Node, string Where)>();
        if (top.ContainsKey("variants"))
        {
            // A manifest: every variant that records its recipe (the baseline has none).
            var variants = top["variants"] as JsonArray ?? throw new InputException($"{source}: \"variants\" is not a list");
            items.AddRange(variants.OfType<JsonObject>().Where(v => v["recipe"] is JsonObject).Select(v => (v["recipe"], $"{source}: variant {v["id"]}")));
            if (items.Count == 0)
            {
                throw new InputException($"{source}: no variant records its recipe (a manifest written before recipes were recorded)");
            }
        }
        else if (top.ContainsKey("recipes"))
        {
            Known(top, source, "a recipe file", "$schema", "recipes");
            var list = top["recipes"] as JsonArray;
            if (list is not { Count: > 0 })
            {
                throw new InputException($"{source}: \"recipes\" must be a list of at least one recipe");
            }
            items.AddRange(list.Select((r, i) => (r, $"{source}: recipes[{i}]")));
        }
        else
        {
            items.Add((top, source));
        }
        var recipes = new List<Recipe>();
        foreach (var (node, where) in items)
        {
            var recipe = ParseRecipe(node, where, source, registry);
            if (recipes.Any(r => r.Id == recipe.Id))
            {
                throw new InputException($"{where}: id '{recipe.Id}' is used twice; ids name the variant files");
            }
            recipes.Add(recipe);
        }
        return recipes;
    }

    private static Recipe ParseRecipe(JsonNode? node, string where, string source, PassRegistry registry)
    {
        if (node is not JsonObject r)
        {
            throw new InputException($"{where}: a recipe is an object with \"id\" and \"steps\"");
        }
        Known(r, where, "a recipe", "$schema", "id", "why", "steps");
        var id = Text(r, "id", where) ?? throw new InputException($"{where}: \"id\" is missing (it names the variant file, e.g. \"prune-0.5+int8\")");
        if (!IdPattern().IsMatch(id) || id == "baseline")
        {
            throw new InputException($"{where}: id '{id}' must be 1-80 letters, digits, '.', '_', '+' or '-' (not starting with a sign), and not 'baseline'");
        }
        var at = $"{source}: recipe '{id}'";
        if (r["steps"] is not JsonArray { Count: > 0 } steps)
        {
            throw new InputException($"{at}: \"steps\" must be a list of at least one step, e.g. [{{\"pass\": \"quantize-static\"}}]");
        }
        var typed = steps.Select((s, i) => registry.Bind(s, $"{at} steps[{i}]")).ToList();
        return new Recipe(id, typed, Text(r, "why", at) ?? $"from {Path.GetFileName(source)}");
    }

    private static void Known(JsonObject json, string where, string what, params string[] names)
    {
        if (json.Select(kv => kv.Key).FirstOrDefault(k => !names.Contains(k)) is { } unknown)
        {
            throw new InputException($"{where}: unknown field '{unknown}'; {what} has {string.Join(", ", names.Where(n => n != "$schema"))}");
        }
    }

    private static string? Text(JsonObject json, string name, string where) => json[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw new InputException($"{where}: \"{name}\" must be text"),
    };

    /// <summary>A recipe in file form (what a manifest records for each variant).</summary>
    public static JsonObject ToJson(Recipe recipe)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        return new JsonObject
        {
            ["id"] = recipe.Id,
            ["why"] = recipe.Why,
            ["steps"] = new JsonArray([.. recipe.Steps.Select(s => (JsonNode)PassRegistry.ToJson(s))]),
        };
    }

    /// <summary>Indented JSON as people read it ('+' and quotes not escaped), with a final newline.</summary>
    public static string Format(JsonNode json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    /// <summary>JSON Schema (2020-12) of a recipe file for <paramref name="registry"/>'s passes (recipe.schema.json).</summary>
    public static string Schema(PassRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var defs = registry.StepSchemas();
        var stepRefs = new JsonArray([.. registry.Names.Select(n => (JsonNode)new JsonObject { ["$ref"] = $"#/$defs/{n}" })]);
        defs["recipe"] = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["$schema"] = new JsonObject { ["type"] = "string" },
                ["id"] = new JsonObject { ["type"] = "string", ["pattern"] = IdPattern().ToString(), ["not"] = new JsonObject { ["const"] = "baseline" } },
                ["why"] = new JsonObject { ["type"] = "string" },
                ["steps"] = new JsonObject { ["type"] = "array", ["minItems"] = 1, ["items"] = new JsonObject { ["oneOf"] = stepRefs } },
            },
            ["required"] = new JsonArray("id", "steps"),
            ["additionalProperties"] = false,
        };
        var schema = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["title"] = "edgec recipe file",
            ["description"] = "Recipes for edgec optimize --recipe: a list under \"recipes\", or one recipe. Settings left out take their defaults; scheme, perChannel, reduceRange and roundTo left out follow the device profile. Generated by `edgec recipes --schema`.",
            ["oneOf"] = new JsonArray(
                new JsonObject
                {
                    ["type"] = "object",
                    ["properties"] = new JsonObject
                    {
                        ["$schema"] = new JsonObject { ["type"] = "string" },
                        ["recipes"] = new JsonObject { ["type"] = "array", ["minItems"] = 1, ["items"] = new JsonObject { ["$ref"] = "#/$defs/recipe" } },
                    },
                    ["required"] = new JsonArray("recipes"),
                    ["additionalProperties"] = false,
                },
                new JsonObject { ["$ref"] = "#/$defs/recipe" }),
            ["$defs"] = defs,
        };
        return Format(schema);
    }
}
