using System.Diagnostics;
using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Runtime;
using EdgeCompress.Data;
using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Search;

/// <summary>What the search knows about one variant after measuring it.</summary>
/// <param name="AccuracyPercent">Top-1 accuracy on labelled data, null for unlabelled data.</param>
/// <param name="FidelityCosine">Cosine similarity of the first output against the baseline's.</param>
/// <param name="P50Ms">Median single-sample latency.</param>
/// <param name="P90Ms">90th percentile latency (measured only).</param>
/// <param name="P99Ms">99th percentile latency (measured only).</param>
/// <param name="SamplesMs">Up to 500 of the measured latencies, for distribution plots.</param>
/// <param name="LatencySource">"measured" or "estimated".</param>
/// <param name="LatencyWhere">"local", a device name, or "cost-model:PROFILE".</param>
/// <param name="EnergyPerInferenceMillijoules">Energy per inference when a board's power sensor measured it.</param>
public sealed record VariantMeasurement(double? AccuracyPercent, double FidelityCosine, double P50Ms, double? P90Ms, double? P99Ms,
    IReadOnlyList<double>? SamplesMs, string LatencySource, string LatencyWhere, double? EnergyPerInferenceMillijoules = null);

/// <summary>Measures a variant: accuracy and fidelity against the baseline on data, and latency.</summary>
public interface IVariantMeasurer
{
    /// <summary>Measures the model at <paramref name="modelPath"/> against the baseline at <paramref name="baselinePath"/>.</summary>
    Task<VariantMeasurement> MeasureAsync(string modelPath, string baselinePath, IProgress<string>? progress, CancellationToken cancellationToken);
}

/// <summary>
/// Measures on this host: accuracy and fidelity by streaming the data through ONNX Runtime (baseline and variant
/// side by side, batch by batch, nothing stored), latency by a single-sample loop after warm-up (median of the
/// timed runs, like onnxruntime_perf_test).
/// </summary>
public sealed class LocalMeasurer : IVariantMeasurer
{
    private readonly DataSpec _data;
    private readonly int _threads;
    private readonly int _warmup;
    private readonly int _iterations;

    /// <summary>Creates a measurer over a data SPEC, with the benchmark's thread count and loop sizes
    /// (<paramref name="iterations"/> 0: accuracy and fidelity only, no latency).</summary>
    public LocalMeasurer(DataSpec data, int threads = 1, int warmup = 20, int iterations = 300)
    {
        _data = data;
        _threads = threads;
        _warmup = warmup;
        _iterations = iterations;
    }

    /// <inheritdoc />
    public Task<VariantMeasurement> MeasureAsync(string modelPath, string baselinePath, IProgress<string>? progress, CancellationToken cancellationToken) =>
        Task.Run(() => Measure(modelPath, baselinePath, progress, cancellationToken), cancellationToken);

    private VariantMeasurement Measure(string modelPath, string baselinePath, IProgress<string>? progress, CancellationToken ct)
    {
        var options = new RunnerOptions { Threads = _threads };
        using var candidate = ModelRunner.Create(OnnxModel.Load(modelPath), Path.GetFileName(modelPath), options);
        using var baseline = ModelRunner.Create(OnnxModel.Load(baselinePath), Path.GetFileName(baselinePath), options);
        var fidelity = new Fidelity();
        long correct = 0;
        long total = 0;
        foreach (var batch in _data.Open(candidate.Inputs, batchSize: 64))
        {
            ct.ThrowIfCancellationRequested();
            var got = candidate.Run(batch)[0];
            var want = baseline.Run(batch)[0];
            fidelity.Add(want.Values, got.Values);
            if (batch.Labels is { } labels)
            {
                correct += CountCorrect(got, labels);
                total += labels.Length;
            }
        }
        progress?.Report($"{Path.GetFileName(modelPath)}: accuracy {(total > 0 ? $"{100.0 * correct / total:F2}%" : "n/a")}, cosine {fidelity.Cosine:F5}");
        if (_iterations == 0)
        {
            return new VariantMeasurement(total > 0 ? 100.0 * correct / total : null, fidelity.Cosine, double.NaN, null, null, null, "none", "");
        }
        var latencies = TimeSingleSample(candidate, ct);
        var sorted = latencies.Order().ToArray();
        return new VariantMeasurement(
            total > 0 ? 100.0 * correct / total : null,
            fidelity.Cosine,
            Percentiles.OfSorted(sorted, 50), Percentiles.OfSorted(sorted, 90), Percentiles.OfSorted(sorted, 99),
            sorted.Length <= 500 ? latencies : latencies.Take(500).ToList(),
            "measured", "local");
    }

    /// <summary>Rows whose arg-max over the last dimension equals the label.</summary>
    public static long CountCorrect(RunOutput logits, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        var classes = (int)logits.Dims[^1];
        long correct = 0;
        for (var row = 0; row < labels.Count; row++)
        {
            var span = logits.Values.AsSpan(row * classes, classes);
            var best = 0;
            for (var c = 1; c < classes; c++)
            {
                if (span[c] > span[best])
                {
                    best = c;
                }
            }
            if (best == labels[row])
            {
                correct++;
            }
        }
        return correct;
    }

    private List<double> TimeSingleSample(ModelRunner runner, CancellationToken ct)
    {
        var sample = DataSpec.Parse("synthetic:1").Open(runner.Inputs, batchSize: 1).First();
        for (var i = 0; i < _warmup; i++)
        {
            runner.Run(sample);
        }
        var times = new List<double>(_iterations);
        for (var i = 0; i < _iterations; i++)
        {
            ct.ThrowIfCancellationRequested();
            var start = Stopwatch.GetTimestamp();
            runner.Run(sample);
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        return times;
    }
}
