using System.Globalization;
using System.Text;
using EdgeCompress.Protocol;

namespace EdgeCompress.Daemon.Api;

/// <summary>Counters and gauges for GET /metrics, rendered in the Prometheus text exposition format.</summary>
public sealed class Metrics
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<int, long> _requestsByStatus = [];
    private readonly SortedDictionary<string, long> _benchmarksByStatus = new(StringComparer.Ordinal);
    private long _benchmarksStarted;
    private BenchmarkStatus? _last;

    /// <summary>Counts one answered HTTP request.</summary>
    public void RequestServed(int statusCode)
    {
        lock (_gate)
        {
            _requestsByStatus[statusCode] = _requestsByStatus.GetValueOrDefault(statusCode) + 1;
        }
    }

    /// <summary>Counts a benchmark that began running.</summary>
    public void BenchmarkStarted() => Interlocked.Increment(ref _benchmarksStarted);

    /// <summary>Counts a finished benchmark and keeps its figures as the "last" gauges.</summary>
    public void BenchmarkFinished(BenchmarkStatus status)
    {
        lock (_gate)
        {
            _benchmarksByStatus[status.Status] = _benchmarksByStatus.GetValueOrDefault(status.Status) + 1;
            if (status.Result is not null)
            {
                _last = status;
            }
        }
    }

    /// <summary>Renders every metric; <paramref name="live"/> supplies gauges read at scrape time.</summary>
    public string Render(LiveGauges live)
    {
        var text = new StringBuilder();
        lock (_gate)
        {
            Header(text, "edged_http_requests_total", "counter", "HTTP requests answered, by status code");
            foreach (var (code, count) in _requestsByStatus)
            {
                Line(text, $"edged_http_requests_total{{code=\"{code}\"}}", count);
            }

            Header(text, "edged_benchmarks_started_total", "counter", "Benchmarks that began running");
            Line(text, "edged_benchmarks_started_total", Interlocked.Read(ref _benchmarksStarted));
            Header(text, "edged_benchmarks_total", "counter", "Benchmarks finished, by final status");
            foreach (var state in new[] { BenchmarkStates.Completed, BenchmarkStates.Failed })
            {
                Line(text, $"edged_benchmarks_total{{status=\"{state}\"}}", _benchmarksByStatus.GetValueOrDefault(state));
            }

            if (_last?.Result is { } result)
            {
                var model = Escape(_last.ModelVersion?.Name ?? _last.Request.Model);
                Header(text, "edged_last_benchmark_latency_ms", "gauge", "Latency percentiles of the last completed benchmark");
                Line(text, $"edged_last_benchmark_latency_ms{{model=\"{model}\",quantile=\"0.5\"}}", result.P50Ms);
                Line(text, $"edged_last_benchmark_latency_ms{{model=\"{model}\",quantile=\"0.9\"}}", result.P90Ms);
                Line(text, $"edged_last_benchmark_latency_ms{{model=\"{model}\",quantile=\"0.99\"}}", result.P99Ms);
                Header(text, "edged_last_benchmark_throughput_per_second", "gauge", "Inferences per second of the last completed benchmark");
                Line(text, $"edged_last_benchmark_throughput_per_second{{model=\"{model}\"}}", result.ThroughputPerSecond);
                if (result.Power is { Available: true, MeanWatts: { } watts })
                {
                    Header(text, "edged_last_benchmark_power_watts", "gauge", "Mean power during the last completed benchmark");
                    Line(text, $"edged_last_benchmark_power_watts{{model=\"{model}\",sensor=\"{Escape(result.Power.SensorName ?? "")}\"}}", watts);
                    Header(text, "edged_last_benchmark_energy_per_inference_millijoules", "gauge", "Energy per inference of the last completed benchmark");
                    Line(text, $"edged_last_benchmark_energy_per_inference_millijoules{{model=\"{model}\"}}", result.Power.EnergyPerInferenceMillijoules ?? 0);
                }
            }
        }

        Header(text, "edged_benchmarks_queued", "gauge", "Benchmarks waiting to run");
        Line(text, "edged_benchmarks_queued", live.QueuedBenchmarks);
        Header(text, "edged_models_stored", "gauge", "Model versions in the store");
        Line(text, "edged_models_stored", live.ModelVersions);
        Header(text, "edged_store_used_bytes", "gauge", "Bytes used by stored models");
        Line(text, "edged_store_used_bytes", live.StoreUsedBytes);
        if (live.TemperatureCelsius is { } celsius)
        {
            Header(text, "edged_temperature_celsius", "gauge", "Hottest thermal zone now");
            Line(text, "edged_temperature_celsius", celsius);
        }

        Header(text, "edged_uptime_seconds", "gauge", "Seconds since edged started");
        Line(text, "edged_uptime_seconds", live.UptimeSeconds);
        return text.ToString();
    }

    private static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Line(StringBuilder text, string series, double value) =>
        text.Append(series).Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');

    private static string Escape(string label) => label.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}

/// <summary>Gauges read when /metrics is scraped.</summary>
/// <param name="QueuedBenchmarks">Jobs waiting.</param>
/// <param name="ModelVersions">Stored model versions.</param>
/// <param name="StoreUsedBytes">Bytes used by the store.</param>
/// <param name="TemperatureCelsius">Hottest zone, when readable.</param>
/// <param name="UptimeSeconds">Seconds since start.</param>
public sealed record LiveGauges(int QueuedBenchmarks, int ModelVersions, long StoreUsedBytes, double? TemperatureCelsius, double UptimeSeconds);
