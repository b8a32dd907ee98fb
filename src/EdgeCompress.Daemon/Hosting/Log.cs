using Microsoft.Extensions.Logging;

namespace EdgeCompress.Daemon.Hosting;

/// <summary>Every log line edged writes, source-generated; event ids are kept in this one place.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "edged {Version} listening on {Urls}; store {Store}; profile {Profile}")]
    public static partial void Started(ILogger logger, string version, string urls, string store, string profile);

    [LoggerMessage(2, LogLevel.Information, "TLS certificate {Path} SHA-256 fingerprint {Fingerprint}{Generated}")]
    public static partial void TlsFingerprint(ILogger logger, string path, string fingerprint, string generated);

    [LoggerMessage(3, LogLevel.Warning, "token file {Path} did not exist; created it with a new random token")]
    public static partial void TokenCreated(ILogger logger, string path);

    [LoggerMessage(4, LogLevel.Information, "power sensor {Sensor} ({Measures})")]
    public static partial void PowerSensorFound(ILogger logger, string sensor, string measures);

    [LoggerMessage(5, LogLevel.Information, "no power sensor: {Reason}")]
    public static partial void PowerSensorMissing(ILogger logger, string reason);

    [LoggerMessage(10, LogLevel.Information, "stored model {Name} v{Version} ({SizeBytes} bytes, sha256 {Sha256})")]
    public static partial void ModelStored(ILogger logger, string name, int version, long sizeBytes, string sha256);

    [LoggerMessage(11, LogLevel.Warning, "rejected model upload {Name}: {Reason}")]
    public static partial void ModelRejected(ILogger logger, string name, string reason);

    [LoggerMessage(12, LogLevel.Information, "deleted model {Name} ({Count} version(s))")]
    public static partial void ModelDeleted(ILogger logger, string name, int count);

    [LoggerMessage(13, LogLevel.Warning, "removed {Count} incomplete upload(s) left by an earlier run")]
    public static partial void TempFilesRemoved(ILogger logger, int count);

    [LoggerMessage(14, LogLevel.Error, "model file {Path} does not match its checksum; moved to quarantine")]
    public static partial void ModelQuarantined(ILogger logger, string path);

    [LoggerMessage(15, LogLevel.Warning, "upload of '{Name}' aborted by the client after {Bytes} bytes ({Reason}); nothing stored")]
    public static partial void UploadAborted(ILogger logger, string name, long bytes, string reason);

    [LoggerMessage(20, LogLevel.Information, "benchmark {Id} queued for {Model} ({Position} ahead)")]
    public static partial void BenchmarkSchedulerd(ILogger logger, string id, string model, int position);

    [LoggerMessage(21, LogLevel.Information, "benchmark {Id} completed: p50 {P50Ms:0.###} ms, p99 {P99Ms:0.###} ms over {Count} inferences")]
    public static partial void BenchmarkCompleted(ILogger logger, string id, double p50Ms, double p99Ms, int count);

    [LoggerMessage(22, LogLevel.Warning, "benchmark {Id} failed: {Error}")]
    public static partial void BenchmarkFailed(ILogger logger, string id, string error);

    [LoggerMessage(23, LogLevel.Warning, "results file {Path} line {Line} is damaged (an interrupted write?) and was skipped")]
    public static partial void ResultLineSkipped(ILogger logger, string path, int line);

    [LoggerMessage(24, LogLevel.Information, "re-queued {Count} benchmark(s) that were waiting when edged last stopped")]
    public static partial void BenchmarksRequeued(ILogger logger, int count);

    [LoggerMessage(25, LogLevel.Information, "benchmark inputs may take up to {MaxBytes} bytes ({Origin})")]
    public static partial void InputLimit(ILogger logger, long maxBytes, string origin);

    [LoggerMessage(30, LogLevel.Error, "unhandled error serving {Method} {Path}")]
    public static partial void UnhandledError(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(31, LogLevel.Debug, "systemd watchdog every {Interval}")]
    public static partial void WatchdogEnabled(ILogger logger, TimeSpan interval);
}
