using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EdgeCompress.Fleet;

/// <summary>Stored runs as CSV or JSON, for `edgec results --export` and `edgec bench --export`.</summary>
public static class ResultsExport
{
    /// <summary>The CSV columns, in order: those of the JSON-lines era first and in their old order (scripts that read
    /// by position keep working), then the ones the database added.</summary>
    public static IReadOnlyList<string> CsvColumns { get; } =
    [
        "time_utc", "device", "device_url", "profile", "hostname", "architecture", "model_file", "model_name", "model_version", "model_sha256", "model_bytes",
        "threads", "warmup", "iterations", "duration_s", "power", "count", "init_ms", "first_ms", "min_ms", "mean_ms", "std_ms",
        "p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms", "throughput_per_s", "peak_rss_bytes", "cpu_utilization",
        "power_mean_w", "energy_per_inference_mj", "onnxruntime_version",
        "run_id", "edged_version", "power_scope", "temperature_before_c", "temperature_after_c",
    ];

    /// <summary>Writes runs as CSV (RFC 4180 quoting, invariant numbers).</summary>
    public static void WriteCsv(IEnumerable<StoredRun> runs, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(string.Join(',', CsvColumns) + "\n");
        foreach (var (id, r) in runs)
        {
            var x = r.Result;
            object?[] cells =
            [
                r.TimeUtc.ToString("o", CultureInfo.InvariantCulture), r.Device, r.DeviceUrl, r.Profile, r.Hostname, r.Architecture, r.ModelFile, r.ModelName,
                r.ModelVersion, r.ModelSha256, r.ModelBytes, r.Threads, r.Warmup, r.Iterations, r.DurationSeconds, r.Power, x.Count, x.InitMs,
                x.FirstInferenceMs, x.MinMs, x.MeanMs, x.StdMs, x.P50Ms, x.P90Ms, x.P95Ms, x.P99Ms, x.MaxMs, x.ThroughputPerSecond, x.PeakRssBytes,
                x.CpuUtilization, x.Power.MeanWatts, x.Power.EnergyPerInferenceMillijoules, x.OnnxRuntimeVersion,
                id, r.EdgedVersion, x.Power.Measures, x.Thermal.TemperatureBeforeCelsius, x.Thermal.TemperatureAfterCelsius,
            ];
            writer.Write(string.Join(',', cells.Select(Cell)) + "\n");
        }
    }

    /// <summary>Writes runs as one indented JSON array of records, as the JSON-lines era exported them, each with its
    /// run id added as "runId".</summary>
    public static void WriteJson(IEnumerable<StoredRun> runs, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(writer);
        var array = new JsonArray();
        foreach (var (id, record) in runs)
        {
            var row = JsonSerializer.SerializeToNode(record, FleetJsonContext.Default.BenchRecord)!.AsObject();
            row.Insert(0, "runId", id);
            array.Add(row);
        }

        writer.Write(array.ToJsonString(new JsonSerializerOptions(FleetJsonContext.Default.Options) { WriteIndented = true }));
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
