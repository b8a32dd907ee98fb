namespace EdgeCompress.Protocol;

/// <summary>Answer of <c>GET /v1/health</c>.</summary>
public sealed class HealthResponse
{
    /// <summary>"ok" while the daemon serves.</summary>
    public string Status { get; set; } = "ok";

    /// <summary>edged version.</summary>
    public string Version { get; set; } = "";

    /// <summary>API version, <see cref="ApiContract.Version"/>.</summary>
    public string ApiVersion { get; set; } = ApiContract.Version;
}

/// <summary>Answer of <c>GET /v1/device</c>: what the board is and what it can measure.</summary>
public sealed class DeviceInfo
{
    /// <summary>Host name.</summary>
    public string Hostname { get; set; } = "";

    /// <summary>Machine architecture as uname says it (x86_64, aarch64).</summary>
    public string Architecture { get; set; } = "";

    /// <summary>Operating system description.</summary>
    public string Os { get; set; } = "";

    /// <summary>Device profile id (rpi4, rpi5, jetson-orin-nano, ...), from configuration.</summary>
    public string? Profile { get; set; }

    /// <summary>CPU model name from /proc/cpuinfo, or the CPU part for ARM cores.</summary>
    public string? CpuModel { get; set; }

    /// <summary>Logical CPU count.</summary>
    public int CpuCount { get; set; }

    /// <summary>CPU feature flags (asimd, asimddp, avx2, ...).</summary>
    public IReadOnlyList<string> CpuFeatures { get; set; } = [];

    /// <summary>Physical memory in bytes, when known.</summary>
    public long? MemoryTotalBytes { get; set; }

    /// <summary>Sensors found at start.</summary>
    public IReadOnlyList<SensorInfo> Sensors { get; set; } = [];

    /// <summary>SHA-256 fingerprint of the TLS certificate (hex, colon separated), null when serving plain HTTP only.</summary>
    public string? TlsFingerprintSha256 { get; set; }

    /// <summary>edged version.</summary>
    public string EdgedVersion { get; set; } = "";

    /// <summary>ONNX Runtime version.</summary>
    public string OnnxRuntimeVersion { get; set; } = "";

    /// <summary>Execution providers ONNX Runtime offers here.</summary>
    public IReadOnlyList<string> ExecutionProviders { get; set; } = [];

    /// <summary>GPIO pin raised during measured windows, if configured.</summary>
    public int? MarkerPin { get; set; }
}

/// <summary>One sensor the daemon can read.</summary>
public sealed class SensorInfo
{
    /// <summary>Sensor name (ina219@1:0x40, jetson-ina3221, pi5-pmic, rapl, thermal_zone0, ...).</summary>
    public string Name { get; set; } = "";

    /// <summary>power, temperature or throttling.</summary>
    public string Kind { get; set; } = "";

    /// <summary>What it measures, e.g. "board input", "PMIC rails", "CPU package".</summary>
    public string Measures { get; set; } = "";
}

/// <summary>One stored version of a model.</summary>
public sealed class ModelVersionInfo
{
    /// <summary>Model name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Version number, 1 for the first upload of a name.</summary>
    public int Version { get; set; }

    /// <summary>File size in bytes.</summary>
    public long SizeBytes { get; set; }

    /// <summary>Hex SHA-256 of the stored bytes.</summary>
    public string Sha256 { get; set; } = "";

    /// <summary>When the version was stored.</summary>
    public DateTimeOffset CreatedUtc { get; set; }
}

/// <summary>A model name with its stored versions, newest last.</summary>
public sealed class ModelInfo
{
    /// <summary>Model name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Stored versions, oldest first.</summary>
    public IReadOnlyList<ModelVersionInfo> Versions { get; set; } = [];
}

/// <summary>Answer of <c>GET /v1/models</c>.</summary>
public sealed class ModelListResponse
{
    /// <summary>Every stored model, by name.</summary>
    public IReadOnlyList<ModelInfo> Models { get; set; } = [];

    /// <summary>Bytes used by stored models.</summary>
    public long UsedBytes { get; set; }

    /// <summary>Store quota in bytes.</summary>
    public long QuotaBytes { get; set; }
}

/// <summary>An RFC 7807 problem as edged answers it; clients read errors with this type.</summary>
public sealed class ProblemResponse
{
    /// <summary>Problem type URI.</summary>
    public string? Type { get; set; }

    /// <summary>Short title.</summary>
    public string? Title { get; set; }

    /// <summary>HTTP status code.</summary>
    public int? Status { get; set; }

    /// <summary>What went wrong, naming the field or model.</summary>
    public string? Detail { get; set; }
}
