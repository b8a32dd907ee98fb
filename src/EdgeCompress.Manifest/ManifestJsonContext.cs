using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeCompress.Manifest;

/// <summary>Source-generated JSON for manifests.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(OptimizeManifest))]
public sealed partial class ManifestJsonContext : JsonSerializerContext;

/// <summary>Reads and writes manifest.json files.</summary>
public static class ManifestFile
{
    /// <summary>The file name inside an output folder.</summary>
    public const string FileName = "manifest.json";

    /// <summary>Loads a manifest; <see cref="InvalidDataException"/> with a one-line message naming the file on errors.</summary>
    public static OptimizeManifest Load(string path)
    {
        try
        {
            using var s = File.OpenRead(path);
            return JsonSerializer.Deserialize(s, ManifestJsonContext.Default.OptimizeManifest)
                ?? throw new InvalidDataException($"{path}: empty manifest");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a valid manifest ({e.Message.Split('.')[0]}, at {e.Path})", e);
        }
        catch (FileNotFoundException e)
        {
            throw new InvalidDataException($"{path}: file not found", e);
        }
    }

    /// <summary>Writes a manifest atomically (temporary file, then rename).</summary>
    public static void Save(OptimizeManifest manifest, string path)
    {
        var tmp = path + ".tmp";
        using (var s = File.Create(tmp))
        {
            JsonSerializer.Serialize(s, manifest, ManifestJsonContext.Default.OptimizeManifest);
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Sha256Of(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(s));
    }
}
