using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeCompress.Fleet;

/// <summary>Source-generated JSON for the registry, the results database and the CLI's --json outputs.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    WriteIndented = false,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(DeviceRegistryFile))]
[JsonSerializable(typeof(BenchRecord))]
[JsonSerializable(typeof(List<BenchRecord>))]
[JsonSerializable(typeof(List<DeviceReport>))]
[JsonSerializable(typeof(List<FleetOutcomeReport>))]
public sealed partial class FleetJsonContext : JsonSerializerContext;
