using System.Text.Json.Serialization;

namespace EdgeCompress.Profiles;

/// <summary>Source-generated JSON for profiles (trim- and AOT-safe). Unknown fields are refused so a misspelt
/// field is an error, not a silently ignored setting.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DeviceProfile))]
public sealed partial class ProfileJsonContext : JsonSerializerContext;
