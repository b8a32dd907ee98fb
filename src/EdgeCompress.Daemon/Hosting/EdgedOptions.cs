using EdgeCompress.Protocol;
using EdgeCompress.Sensors;

namespace EdgeCompress.Daemon.Hosting;

/// <summary>
/// edged configuration, bound from /etc/edged/edged.json, EDGED_* environment variables and the command line
/// (later sources win), and validated when the daemon starts.
/// </summary>
public sealed class EdgedOptions
{
    /// <summary>Listen addresses, ';'-separated (ASP.NET Core "urls"). HTTPS by default; plain HTTP only on loopback
    /// unless <see cref="AllowPlainHttp"/>.</summary>
    public string Urls { get; set; } = $"https://0.0.0.0:{ApiContract.DefaultPort}";

    /// <summary>State directory: models/, results.jsonl, tls.pfx, tmp/.</summary>
    public string Store { get; set; } = "/var/lib/edged";

    /// <summary>File holding the bearer token; created with a random token when missing.</summary>
    public string TokenFile { get; set; } = "/etc/edged/token";

    /// <summary>TLS certificate (PKCS#12); a self-signed one is generated here on first start. Default: Store/tls.pfx.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>Device profile id reported by GET /v1/device (rpi4, rpi5, jetson-orin-nano, ...).</summary>
    public string? Profile { get; set; }

    /// <summary>Allows plain HTTP on non-loopback addresses (a trusted lab network only).</summary>
    public bool AllowPlainHttp { get; set; }

    /// <summary>Largest model upload, bytes (413 above it).</summary>
    public long MaxModelBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>Total bytes the model store may hold (507 above it).</summary>
    public long QuotaBytes { get; set; } = 4L * 1024 * 1024 * 1024;

    /// <summary>Versions kept per model name; older ones are removed on upload.</summary>
    public int MaxVersionsPerModel { get; set; } = 5;

    /// <summary>Benchmarks that may wait in the queue (429 above it).</summary>
    public int MaxQueuedBenchmarks { get; set; } = 64;

    /// <summary>
    /// Most bytes a benchmark's generated inputs may take, all inputs together (400 above it, before anything runs).
    /// Default: 1/16 of MemTotal (256 MiB on a 4 GB board; inputs cost several times their size again in ONNX
    /// Runtime's buffers), or 256 MiB where /proc/meminfo cannot be read.
    /// </summary>
    public long? MaxInputBytes { get; set; }

    /// <summary>Power sensor, sampling rate and GPIO marker.</summary>
    public PowerSensorSettings Sensors { get; set; } = new();

    /// <summary>Root for sensor paths ("/" on a board; a fake tree in tests).</summary>
    public string SensorRoot { get; set; } = "/";

    /// <summary>The certificate path actually used.</summary>
    public string ResolvedCertificateFile => CertificateFile ?? Path.Combine(Store, "tls.pfx");
}
