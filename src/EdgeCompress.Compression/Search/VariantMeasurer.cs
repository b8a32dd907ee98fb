using EdgeCompress.Protocol;
using System.Diagnostics;
using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Search;

/// <summary>What the search knows about one variant after measuring it.</summary>
/// <param name="AccuracyPercent">Top-1 accuracy on labelled data, null for unlabelled data.</param>
/// <param name="FidelityCosine">The lowest cosine similarity of any output against the baseline's.</param>
/// <param name="P50Ms">Median single-sample latency.</param>
/// <param name="P90Ms">90th percentile latency (measured only).</param>
/// <param name="P99Ms">99th percentile latency (measured only).</param>
/// <param name="SamplesMs">Up to 500 of the measured latencies, or a device's 0th..100th latency percentiles, for distribution plots.</param>
/// <param name="LatencySource">"measured" or "estimated".</param>
/// <param name="LatencyWhere">"local", a device name, or "cost-model:PROFILE".</param>
/// <param name="EnergyPerInferenceMillijoules">Energy per inference when a board's power sensor measured it.</param>
/// <param name="Notes">Notes for the manifest's reader (e.g. why energy was not measured).</param>
/// <param name="SpeedupVsBaseline">Baseline median / variant median, the two timed interleaved in one run.</param>
/// <param name="Outputs">Every output against the baseline's, by the measure that fits it (the quality guard's figures).</param>
/// <param name="Metric">The user's --metric-command value on this variant's file, when one was given.</param>
public sealed record VariantMeasurement(double? AccuracyPercent, double FidelityCosine, double P50Ms, double? P90Ms, double? P99Ms,
    IReadOnlyList<double>? SamplesMs, string LatencySource, string LatencyWhere, double? EnergyPerInferenceMillijoules = null,
    double? SpeedupVsBaseline = null, IReadOnlyList<Manifest.ManifestOutput>? Outputs = null, double? Metric = null,
    IReadOnlyList<string>? Notes = null);

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
    private readonly double _targetSeconds;
    private readonly MetricCommand? _metric;
    private readonly double _threshold;

    /// <summary>Creates a measurer over a data SPEC, with the benchmark's thread count and loop sizes
    /// (<paramref name="iterations"/> 0: accuracy and fidelity only, no latency; otherwise at least that many timed
    /// runs, more while they fit in <paramref name="targetSeconds"/>).</summary>
    public LocalMeasurer(DataSpec data, int threads = 1, int warmup = 20, int iterations = 300, double targetSeconds = DefaultTargetSeconds,
        IReadOnlyDictionary<string, long[]>? inputShapes = null, MetricCommand? metric = null, double threshold = 0.5)
    {
        InputShapes = inputShapes ?? new Dictionary<string, long[]>();
        _metric = metric;
        _threshold = threshold;
        _data = data;
        _threads = threads;
        _warmup = warmup;
        _iterations = iterations;
        _targetSeconds = targetSeconds;
    }

    /// <summary>--input-shape sizes for dynamic axes, applied to every model measured.</summary>
    public IReadOnlyDictionary<string, long[]> InputShapes { get; }

    /// <summary>Loads a model with <see cref="InputShapes"/> applied.</summary>
    public OnnxModel Load(string path)
    {
        var model = OnnxModel.Load(path);
        InputShapeOverride.Apply(model, InputShapes);
        return model;
    }

    /// <summary>Seconds of timed runs a measurement aims for by default (small models get many runs, big ones the minimum).</summary>
    public const double DefaultTargetSeconds = 2;

    /// <summary>Most timed runs per model.</summary>
    public const int MaxIterations = 20_000;

    /// <summary>
    /// Runs to time: enough for about the target seconds, at least the configured count. 300 runs of a
    /// 0.1 ms model are 30 ms of timing, which one scheduler hiccup on a shared host moves by 30% (measured: the same
    /// int8 model 1.6x in optimize, 2.2x in a 3000-run eval).
    /// </summary>
    private int RunsFor(IReadOnlyList<ModelRunner> runners, Sample sample, CancellationToken ct)
    {
        var probe = LatencyBenchmark.Timings(runners, sample, 20, _warmup, null, ct);
        var perRound = probe.Sum(t => t.Order().ElementAt(t.Count / 2));
        return perRound <= 0 ? MaxIterations : (int)Math.Clamp(_targetSeconds * 1000 / perRound, _iterations, Math.Max(_iterations, MaxIterations));
    }

    /// <inheritdoc />
    public Task<VariantMeasurement> MeasureAsync(string modelPath, string baselinePath, IProgress<string>? progress, CancellationToken cancellationToken) =>
        Task.Run(() => Measure(modelPath, baselinePath, progress, cancellationToken), cancellationToken);

    private VariantMeasurement Measure(string modelPath, string baselinePath, IProgress<string>? progress, CancellationToken ct)
    {
        var options = new RunnerOptions { Threads = _threads };
        var candidateModel = Load(modelPath);
        var baselineModel = modelPath == baselinePath ? candidateModel : Load(baselinePath);
        using var candidate = ModelRunner.Create(candidateModel, Path.GetFileName(modelPath), options);
        using var baseline = ModelRunner.Create(baselineModel, Path.GetFileName(baselinePath), options);
        // The data's first sample (batch 1) sizes the accuracy batches and is the input latency is timed on.
        var first = _data.Open(candidate.Inputs, batchSize: 1).First();
        var guard = new OutputGuard(_threshold);
        var accuracy = new Accuracy();
        var rows = ModelEvaluator.BatchFor(first, candidateModel, modelPath == baselinePath ? null : baselineModel, 64);
        foreach (var batch in _data.Open(candidate.Inputs, rows))
        {
            ct.ThrowIfCancellationRequested();
            var got = candidate.Run(batch);
            var want = baseline.Run(batch);
            guard.Add(want, got);
            if (batch.Labels is { } labels)
            {
                accuracy.Add(got[0].Values, labels);
            }
        }
        double? top1 = accuracy.Count > 0 ? accuracy.Top1Percent : null;
        var outputs = guard.Outputs.Select(o => o.ToManifest()).ToList();
        progress?.Report($"{Path.GetFileName(modelPath)}: accuracy {(top1 is { } a ? $"{a:F2}%" : "n/a")}; " + string.Join("; ", guard.Lines()));
        double? metric = null;
        if (_metric is not null)
        {
            // The user's own evaluator on the file as written (so a second runtime can judge it), on the same data spec.
            metric = _metric.Evaluate(modelPath, _data.Text, ct);
            progress?.Report(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Path.GetFileName(modelPath)}: {_metric.Name} {metric:G6}"));
        }
        if (_iterations == 0)
        {
            return new VariantMeasurement(top1, guard.WorstCosine, double.NaN, null, null, null, "none", "", Outputs: outputs, Metric: metric);
        }
        // Timed on a real input of the data (its first sample), not a made-up one: the size the user's data has.
        // Timed interleaved with the baseline (A, B, A, B, ...): the ratio stays fair when the machine's load changes
        // between candidates, which on a shared 2-core host moves a 0.2 ms median by 30% or more.
        var same = modelPath == baselinePath;
        ModelRunner[] runners = same ? [candidate] : [candidate, baseline];
        var timings = LatencyBenchmark.Timings(runners, first, RunsFor(runners, first, ct), _warmup, null, ct);
        var latencies = timings[0];
        var sorted = latencies.Order().ToArray();
        var baselineMedian = same ? Percentiles.OfSorted(sorted, 50) : Percentiles.OfSorted(timings[1].Order().ToArray(), 50);
        return new VariantMeasurement(
            top1,
            guard.WorstCosine,
            Percentiles.OfSorted(sorted, 50), Percentiles.OfSorted(sorted, 90), Percentiles.OfSorted(sorted, 99),
            sorted.Length <= 500 ? latencies : latencies.Take(500).ToList(),
            "measured", "local",
            SpeedupVsBaseline: baselineMedian / Percentiles.OfSorted(sorted, 50), Outputs: outputs, Metric: metric);
    }
}
