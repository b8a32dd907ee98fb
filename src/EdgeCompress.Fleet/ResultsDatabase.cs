using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EdgeCompress.Fleet;

/// <summary>
/// The local results database: one JSON object per line (bench-results.jsonl in the data folder), appended after
/// every run. Lines are written whole with one append each, so concurrent runs interleave records, never bytes
/// within one, and a torn last line from a crash is skipped (and counted) when reading.
/// </summary>
public sealed class ResultsDatabase
{
    private static readonly Lock AppendGate = new();

    /// <summary>Opens the database at <paramref name="path"/> (default: the data folder's bench-results.jsonl).</summary>
    public ResultsDatabase(string? path = null) => Path = path ?? FleetPaths.ResultsFile;

    /// <summary>The JSON-lines file.</summary>
    public string Path { get; }

    /// <summary>Appends records; creates the folder and file when needed.</summary>
    public void Append(IEnumerable<BenchRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var text = new StringBuilder();
        foreach (var record in records)
        {
            text.Append(JsonSerializer.Serialize(record, FleetJsonContext.Default.BenchRecord)).Append('\n');
        }

        if (text.Length == 0)
        {
            return;
        }

        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            lock (AppendGate)
            {
                using var stream = new FileStream(Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
                if (stream.Length > 0)
                {
                    // A crash can leave a torn last line without its newline; end it so the next record stays whole.
                    stream.Seek(-1, SeekOrigin.End);
                    if (stream.ReadByte() != '\n')
                    {
                        stream.WriteByte((byte)'\n');
                    }
                }

                stream.Seek(0, SeekOrigin.End);
                stream.Write(Encoding.UTF8.GetBytes(text.ToString()));
                stream.Flush(flushToDisk: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FleetException($"results database {Path} cannot be written: {ex.Message}", ex);
        }
    }

    /// <summary>Every readable record, oldest first; <paramref name="skipped"/> counts unreadable lines.</summary>
    public IReadOnlyList<BenchRecord> ReadAll(out int skipped)
    {
        skipped = 0;
        var records = new List<BenchRecord>();
        if (!File.Exists(Path))
        {
            return records;
        }

        foreach (var line in File.ReadLines(Path))
        {
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                if (JsonSerializer.Deserialize(line, FleetJsonContext.Default.BenchRecord) is { } record)
                {
                    records.Add(record);
                }
            }
            catch (JsonException)
            {
                skipped++;
            }
        }

        return records;
    }

    /// <summary>The CSV columns, in order.</summary>
    public static IReadOnlyList<string> CsvColumns { get; } =
    [
        "time_utc", "device", "device_url", "profile", "hostname", "architecture", "model_file", "model_name", "model_version", "model_sha256", "model_bytes",
        "threads", "warmup", "iterations", "duration_s", "power", "count", "init_ms", "first_ms", "min_ms", "mean_ms", "std_ms",
        "p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms", "throughput_per_s", "peak_rss_bytes", "cpu_utilization",
        "power_mean_w", "energy_per_inference_mj", "onnxruntime_version",
    ];

    /// <summary>Writes records as CSV (RFC 4180 quoting, invariant numbers).</summary>
    public static void WriteCsv(IEnumerable<BenchRecord> records, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(string.Join(',', CsvColumns) + "\n");
        foreach (var r in records)
        {
            var x = r.Result;
            object?[] cells =
            [
                r.TimeUtc.ToString("o", CultureInfo.InvariantCulture), r.Device, r.DeviceUrl, r.Profile, r.Hostname, r.Architecture, r.ModelFile, r.ModelName,
                r.ModelVersion, r.ModelSha256, r.ModelBytes, r.Threads, r.Warmup, r.Iterations, r.DurationSeconds, r.Power, x.Count, x.InitMs,
                x.FirstInferenceMs, x.MinMs, x.MeanMs, x.StdMs, x.P50Ms, x.P90Ms, x.P95Ms, x.P99Ms, x.MaxMs, x.ThroughputPerSecond, x.PeakRssBytes,
                x.CpuUtilization, x.Power.MeanWatts, x.Power.EnergyPerInferenceMillijoules, x.OnnxRuntimeVersion,
            ];
            writer.Write(string.Join(',', cells.Select(Cell)) + "\n");
        }
    }

    /// <summary>Writes records as one indented JSON array.</summary>
    public static void WriteJson(IEnumerable<BenchRecord> records, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var options = new JsonSerializerOptions(FleetJsonContext.Default.Options) { WriteIndented = true };
        var context = new FleetJsonContext(options);
        writer.Write(JsonSerializer.Serialize(records.ToList(), context.ListBenchRecord));
        writer.Write('\n');
    }

    private static string Cell(object? value)
    {
        var text = value switch
        {
            null => "",
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            bool b => b ? "true" : "false",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
        return text.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{text.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : text;
    }
}
