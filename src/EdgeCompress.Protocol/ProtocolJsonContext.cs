using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeCompress.Protocol;

/// <summary>
/// Source-generated JSON for every protocol type (camelCase, nulls omitted), so edged stays NativeAOT-clean
/// and the CLI reads exactly what the daemon writes.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(DeviceInfo))]
[JsonSerializable(typeof(ModelVersionInfo))]
[JsonSerializable(typeof(ModelInfo))]
[JsonSerializable(typeof(ModelListResponse))]
[JsonSerializable(typeof(ProblemResponse))]
[JsonSerializable(typeof(BenchmarkRequest))]
[JsonSerializable(typeof(BenchmarkAccepted))]
[JsonSerializable(typeof(BenchmarkStatus))]
[JsonSerializable(typeof(BenchmarkStatus[]))]
[JsonSerializable(typeof(BenchmarkEvent))]
[JsonSerializable(typeof(BenchmarkResult))]
[JsonSerializable(typeof(InputSetInfo))]
public sealed partial class ProtocolJsonContext : JsonSerializerContext;
