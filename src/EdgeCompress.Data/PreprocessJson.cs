using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeCompress.Data;

public sealed partial record Preprocess
{
    private static readonly string[] Fields = ["size", "resize", "align", "padValue", "scale", "mean", "std", "color", "layout", "dtype"];

    /// <summary>Reads a preprocess JSON file; throws <see cref="DataException"/> naming the file (and the field) when it
    /// is missing, not JSON, has an unknown field or a bad value.</summary>
    public static Preprocess Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"{path}: cannot read the preprocess file ({e.Message})", e);
        }
        return FromJson(text, path);
    }

    /// <summary>Parses preprocess JSON (the form of a preprocess.json file and of <see cref="ToJson"/>);
    /// <paramref name="sourceName"/> names it in errors and becomes <see cref="Source"/>.</summary>
    public static Preprocess FromJson(string json, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(sourceName);
        PreprocessDocument doc;
        try
        {
            using (var parsed = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }))
            {
                if (parsed.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new DataException($"{sourceName}: a preprocess file holds one JSON object, e.g. {{\"size\": [224, 224]}}");
                }
                foreach (var property in parsed.RootElement.EnumerateObject())
                {
                    if (!Fields.Contains(property.Name, StringComparer.Ordinal))
                    {
                        throw new DataException($"{sourceName}: unknown field '{property.Name}'; known fields: {string.Join(", ", Fields)}");
                    }
                }
            }
            doc = JsonSerializer.Deserialize(json, PreprocessJsonContext.Default.PreprocessDocument)
                ?? throw new DataException($"{sourceName}: a preprocess file holds one JSON object, not null");
        }
        catch (JsonException e)
        {
            var field = e.Path is { Length: > 2 } p ? p[2..].Split('[', '.')[0] : null;
            throw new DataException(field is { Length: > 0 }
                ? $"{sourceName}: field '{field}' must be {Expected(field)}"
                : $"{sourceName}: not valid JSON ({FirstLine(e.Message)})", e);
        }
        return FromDocument(doc, sourceName);
    }

    /// <summary>Compact JSON of the fields that are set (no whitespace), as <see cref="FromJson"/> reads it.</summary>
    public string ToJson() => JsonSerializer.Serialize(new PreprocessDocument
    {
        Size = Size is { } s ? [s.Height, s.Width] : null,
        Resize = Resize is { } r ? Names.Of(r) : null,
        Align = Align is { } a ? Names.Of(a) : null,
        PadValue = PadValue,
        Scale = Scale,
        Mean = Mean?.ToArray(),
        Std = Std?.ToArray(),
        Color = Color is { } c ? Names.Of(c) : null,
        Layout = Layout is { } l ? Names.Of(l) : null,
        Dtype = DType is { } d ? Names.Of(d) : null,
    }, PreprocessJsonContext.Default.PreprocessDocument);

    private static Preprocess FromDocument(PreprocessDocument d, string source)
    {
        DataException Bad(string field, string why) => new($"{source}: field '{field}' {why}");
        if (d.Size is { } size && (size.Length != 2 || size.Any(v => v < 1 || v > 65535)))
        {
            throw Bad("size", "must be [height, width] with both from 1 to 65535");
        }
        if (d.PadValue is { } pad && (pad is < 0 or > 255 || pad != Math.Floor(pad)))
        {
            throw Bad("padValue", string.Create(CultureInfo.InvariantCulture,
                $"must be a whole pixel value from 0 to 255, not {pad} (padding is applied to the pixels, before scale, mean and std)"));
        }
        if (d.Scale is { } scale && (!double.IsFinite(scale) || scale <= 0))
        {
            throw Bad("scale", "must be a positive number");
        }
        if (d.Mean is { } mean && (mean.Length is not (1 or 3) || mean.Any(v => !double.IsFinite(v))))
        {
            throw Bad("mean", "must list 1 or 3 finite numbers (one per channel)");
        }
        if (d.Std is { } std && (std.Length is not (1 or 3) || std.Any(v => !double.IsFinite(v) || v <= 0)))
        {
            throw Bad("std", "must list 1 or 3 positive numbers (one per channel)");
        }
        var p = new Preprocess
        {
            Source = source,
            Size = d.Size is { } s ? new ImageSize(s[0], s[1]) : null,
            Resize = d.Resize is { } r ? Names.Parse<ResizeMode>(r) ?? throw Bad("resize", $"is '{r}'; use stretch, shorter-side-then-center-crop, letterbox or keep-aspect-pad") : null,
            Align = d.Align is { } a ? Names.Parse<PadAlign>(a) ?? throw Bad("align", $"is '{a}'; use top-left or center") : null,
            PadValue = d.PadValue is { } v ? (int)v : null,
            Scale = d.Scale,
            Mean = d.Mean,
            Std = d.Std,
            Color = d.Color is { } c ? Names.Parse<ColorOrder>(c) ?? throw Bad("color", $"is '{c}'; use rgb, bgr or gray") : null,
            Layout = d.Layout is { } l ? Names.Parse<TensorLayout>(l) ?? throw Bad("layout", $"is '{l}'; use nchw or nhwc") : null,
            DType = d.Dtype is { } t ? Names.Parse<PixelType>(t) ?? throw Bad("dtype", $"is '{t}'; use float32, float16 or uint8") : null,
        };
        foreach (var (field, values) in new[] { ("mean", p.Mean), ("std", p.Std) })
        {
            if (values is not null && p.Channels is { } channels && values.Count != channels)
            {
                throw Bad(field, $"has {values.Count} values but color {Names.Of(p.Color!.Value)} has {channels} channel(s)");
            }
        }
        if (p.DType == PixelType.Uint8 && (p.Scale is not null ? "scale" : p.Mean is not null ? "mean" : p.Std is not null ? "std" : null) is { } ignored)
        {
            throw Bad(ignored, "does not apply to dtype uint8 (raw bytes)");
        }
        return p;
    }

    private static string Expected(string field) => field switch
    {
        "size" => "[height, width], two whole numbers",
        "mean" or "std" => "a list of 1 or 3 numbers",
        "scale" or "padValue" => "a number",
        _ => "a string",
    };

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}

/// <summary>The JSON shape of a preprocess file.</summary>
internal sealed class PreprocessDocument
{
    public int[]? Size { get; set; }

    public string? Resize { get; set; }

    public string? Align { get; set; }

    public double? PadValue { get; set; }

    public double? Scale { get; set; }

    public double[]? Mean { get; set; }

    public double[]? Std { get; set; }

    public string? Color { get; set; }

    public string? Layout { get; set; }

    public string? Dtype { get; set; }
}

/// <summary>Source-generated (AOT-safe) JSON for preprocess files.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(PreprocessDocument))]
internal sealed partial class PreprocessJsonContext : JsonSerializerContext;
