using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using EdgeCompress.Compression.Passes;
using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Search;

/// <summary>
/// The passes a build has, by the names recipes use: binds a recipe step's JSON to its typed record
/// (<see cref="PassStep"/>), writes a record back as JSON (manifests), builds the pass for a step, and describes every
/// step as JSON Schema. Unknown passes, unknown settings, wrong types and out-of-range values are refused with one
/// line naming the step and the setting.
/// </summary>
public sealed class PassRegistry
{
    /// <summary>How steps are read and written: camelCase settings, enums by name, no unknown settings.</summary>
    public static JsonSerializerOptions Json { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    private readonly Dictionary<string, (Type Step, Func<PassStep, PassContext, ICompressionPass> Create)> _passes = new(StringComparer.Ordinal);

    /// <summary>Adds a pass: its step record and how to build the pass from a step.</summary>
    public PassRegistry Register<TStep>(Func<TStep, PassContext, ICompressionPass> create)
        where TStep : PassStep, new()
    {
        ArgumentNullException.ThrowIfNull(create);
        _passes[new TStep().Pass] = (typeof(TStep), (step, context) => create((TStep)step, context));
        return this;
    }

    /// <summary>The pass names, in registration order.</summary>
    public IReadOnlyList<string> Names => [.. _passes.Keys];

    /// <summary>True when the registry can build the named pass.</summary>
    public bool Has(string pass) => _passes.ContainsKey(pass);

    /// <summary>Builds the pass for a step: settings the profile did not fill take their defaults, and are checked first.</summary>
    public ICompressionPass Create(PassStep step, PassContext context)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(context);
        if (!_passes.TryGetValue(step.Pass, out var entry))
        {
            throw new InputException($"unknown pass '{step.Pass}'; this build has {string.Join(", ", Names)}");
        }
        var resolved = step.ForProfile(null);
        try
        {
            resolved.Validate();
        }
        catch (InputException e)
        {
            throw new InputException($"{step.Pass}: {e.Message}", e);
        }
        return entry.Create(resolved, context);
    }

    /// <summary>Reads one step; <paramref name="where"/> (e.g. "r.json: recipes[0].steps[1]") starts every error.</summary>
    public PassStep Bind(JsonNode? node, string where)
    {
        if (node is not JsonObject json)
        {
            throw new InputException($"{where}: a step is an object with \"pass\" and its settings");
        }
        if (json["pass"] is not JsonValue nameValue || !nameValue.TryGetValue<string>(out var pass))
        {
            throw new InputException($"{where}: \"pass\" is missing; this build has {string.Join(", ", Names)}");
        }
        if (!_passes.TryGetValue(pass, out var entry))
        {
            throw new InputException($"{where}: unknown pass '{pass}'; this build has {string.Join(", ", Names)}");
        }
        var info = Json.GetTypeInfo(entry.Step);
        var known = info.Properties.Where(p => p.Set is not null).Select(p => p.Name).ToList();
        var settings = (JsonObject)json.DeepClone();
        settings.Remove("pass");
        foreach (var (key, _) in settings)
        {
            if (!known.Contains(key))
            {
                throw new InputException($"{where} ({pass}): unknown setting '{key}'; it has {string.Join(", ", known)}");
            }
        }
        PassStep step;
        try
        {
            step = (PassStep)settings.Deserialize(info)!;
        }
        catch (JsonException e)
        {
            var field = (e.Path ?? "$").TrimStart('$', '.');
            var property = info.Properties.FirstOrDefault(p => p.Name == field.Split('.', '[')[0]);
            throw new InputException($"{where} ({pass}): {field}: expected {(property is null ? "another value" : Describe(property.PropertyType))}", e);
        }
        try
        {
            step.Validate();
        }
        catch (InputException e)
        {
            throw new InputException($"{where} ({pass}): {e.Message}", e);
        }
        return step;
    }

    /// <summary>The step as recipe JSON: "pass" first, then every setting that is set (empty lists left out).</summary>
    public static JsonObject ToJson(PassStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        var body = JsonSerializer.SerializeToNode(step, step.GetType(), Json)!.AsObject();
        var result = new JsonObject { ["pass"] = step.Pass };
        foreach (var key in body.Select(kv => kv.Key).ToList())
        {
            var value = body[key];
            body.Remove(key);
            if (value is JsonArray { Count: 0 } or JsonObject { Count: 0 })
            {
                continue;
            }
            result[key] = value;
        }
        return result;
    }

    /// <summary>True when two steps have the same pass and settings.</summary>
    public static bool Same(PassStep a, PassStep b) =>
        a.Pass == b.Pass && ToJson(a).ToJsonString() == ToJson(b).ToJsonString();

    /// <summary>The step's settings as text (the manifest's per-pass settings when the pass recorded none).</summary>
    public static Dictionary<string, string> SettingsText(PassStep step) =>
        ToJson(step).Where(kv => kv.Key != "pass")
            .ToDictionary(kv => kv.Key, kv => kv.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : kv.Value!.ToJsonString(), StringComparer.Ordinal);

    /// <summary>JSON Schema of one step per pass, keyed by pass name ("pass" a constant, no other settings allowed).</summary>
    public JsonObject StepSchemas()
    {
        var defs = new JsonObject();
        foreach (var (pass, entry) in _passes)
        {
            var schema = JsonSchemaExporter.GetJsonSchemaAsNode(Json, entry.Step, new JsonSchemaExporterOptions { TreatNullObliviousAsNonNullable = true }).AsObject();
            var properties = new JsonObject { ["pass"] = new JsonObject { ["const"] = pass } };
            if (schema["properties"] is JsonObject own)
            {
                foreach (var key in own.Select(kv => kv.Key).ToList())
                {
                    var value = own[key];
                    own.Remove(key);
                    properties[key] = value;
                }
            }
            defs[pass] = new JsonObject
            {
                ["type"] = "object",
                ["properties"] = properties,
                ["required"] = new JsonArray("pass"),
                ["additionalProperties"] = false,
            };
        }
        return defs;
    }

    /// <summary>What a setting of this type holds, for errors.</summary>
    private static string Describe(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (t.IsEnum)
        {
            return "one of " + string.Join(", ", Enum.GetValues(t).Cast<object>().Select(v => JsonSerializer.Serialize(v, t, Json).Trim('"')));
        }
        return t == typeof(double) ? "a number"
            : t == typeof(int) ? "a whole number"
            : t == typeof(bool) ? "true or false"
            : t == typeof(string) ? "text"
            : t == typeof(IReadOnlyList<string>) ? "a list of node names, e.g. [\"conv1\"]"
            : t == typeof(IReadOnlyDictionary<string, double>) ? "an object of node name: number"
            : t == typeof(IReadOnlyDictionary<string, int>) ? "an object of node name: whole number"
            : string.Create(CultureInfo.InvariantCulture, $"a {t.Name}");
    }
}
