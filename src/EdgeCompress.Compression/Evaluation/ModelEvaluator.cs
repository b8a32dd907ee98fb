using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Runtime;

namespace EdgeCompress.Compression.Evaluation;

/// <summary>Settings of an evaluation.</summary>
public sealed class EvaluationOptions
{
    /// <summary>Rows per batch for the accuracy pass.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Intra-op threads for the latency measurement (1 = single thread, the figure the bars use).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Timed single-sample runs; 0 skips the latency measurement.</summary>
    public int LatencyRuns { get; init; } = 30;

    /// <summary>Skip the accuracy/fidelity pass (latency only).</summary>
    public bool LatencyOnly { get; init; }

    /// <summary>Decision threshold of score outputs (a scalar sigmoid) in the per-output comparison.</summary>
    public double Threshold { get; init; } = 0.5;

    /// <summary>Stop after this many samples (rows); null for all the data gives.</summary>
    public int? MaxRows { get; init; }
}

/// <summary>What an evaluation measured. Accuracy figures are null when the data has no labels.</summary>
public sealed class EvaluationReport
{
    /// <summary>Samples (rows) run.</summary>
    public int Samples { get; init; }

    /// <summary>Top-1 accuracy of the model, percent.</summary>
    public double? Top1Percent { get; init; }

    /// <summary>Top-5 accuracy of the model, percent.</summary>
    public double? Top5Percent { get; init; }

    /// <summary>Top-1 accuracy of the baseline, percent.</summary>
    public double? BaselineTop1Percent { get; init; }

    /// <summary>Top-5 accuracy of the baseline, percent.</summary>
    public double? BaselineTop5Percent { get; init; }

    /// <summary>Output fidelity against the baseline model, pooled over every output (kept for eval's summary line).</summary>
    public Fidelity? VersusBaseline { get; init; }

    /// <summary>Every output against the baseline's, each by the measure that fits it (null without a baseline).</summary>
    public OutputGuard? PerOutput { get; init; }

    /// <summary>Output fidelity against expected outputs stored beside the inputs (ONNX test_data_set folders).</summary>
    public Fidelity? VersusStored { get; init; }

    /// <summary>Single-sample latency of the model on this host.</summary>
    public LatencyStatistics? Latency { get; init; }

    /// <summary>Single-sample latency of the baseline, timed interleaved with the model.</summary>
    public LatencyStatistics? BaselineLatency { get; init; }
}

/// <summary>
/// Runs a model (and optionally a baseline) over a data spec: top-1/top-5 on labelled data, fidelity against the
/// baseline and against stored expected outputs, then single-sample latency on this host.
/// </summary>
public static class ModelEvaluator
{
    /// <summary>Evaluates; throws <see cref="DataException"/> when the data cannot feed the model.</summary>
    public static EvaluationReport Evaluate(OnnxModel model, DataSpec data, OnnxModel? baseline, EvaluationOptions options,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        var runnerOptions = new RunnerOptions { Threads = options.Threads };
        using var runner = ModelRunner.Create(model, Label(model, "model"), runnerOptions);
        using var reference = baseline is null ? null : ModelRunner.Create(baseline, Label(baseline, "baseline"), runnerOptions);
        var accuracy = data.IsLabelled ? new Accuracy() : null;
        var baseAccuracy = data.IsLabelled && reference is not null ? new Accuracy() : null;
        var versusBaseline = reference is null ? null : new Fidelity();
        var perOutput = reference is null ? null : new OutputGuard(options.Threshold);
        var stored = data.Kind == DataKind.TensorFolder ? StoredOutputs.Enumerate(data).GetEnumerator() : null;
        var versusStored = stored is null ? null : new Fidelity();
        var rows = 0;
        Sample? first = null;
        // One sample at batch 1: sizes the batches and is the input latency is timed on.
        var single = data.Open(runner.Inputs, 1).FirstOrDefault();
        try
        {
            // Batches sized so one run of the larger model stays within a bound: a 1024x1024 model at batch 64
            // would hold tens of GB in ONNX Runtime; a 28x28 classifier keeps the full batch.
            var batch = options.LatencyOnly || single is null ? options.BatchSize : BatchFor(single, model, baseline, options.BatchSize);
            foreach (var sample in data.Open(runner.Inputs, batch))
            {
                cancellationToken.ThrowIfCancellationRequested();
                first ??= sample;
                if (options.LatencyOnly)
                {
                    break;
                }
                var outputs = Run(runner, sample, data);
                accuracy?.Add(outputs[0].Values, sample.Labels);
                if (reference is not null)
                {
                    var expected = Run(reference, sample, data);
                    baseAccuracy?.Add(expected[0].Values, sample.Labels);
                    perOutput!.Add(expected, outputs);
                    for (var i = 0; i < Math.Min(expected.Count, outputs.Count); i++)
                    {
                        versusBaseline!.Add(expected[i].Values, outputs[i].Values);
                    }
                }
                if (stored is not null && stored.MoveNext())
                {
                    for (var i = 0; i < Math.Min(stored.Current.Count, outputs.Count); i++)
                    {
                        if (stored.Current[i].Length == outputs[i].Values.Length)
                        {
                            versusStored!.Add(stored.Current[i], outputs[i].Values);
                        }
                    }
                }
                rows += Rows(sample);
                // Outputs of tens of MB a batch (segmentation maps) land on the large-object heap, which .NET
                // collects late on a machine with much memory: 16 samples of two 88 MB outputs can pile up to 2.8 GB.
                if (outputs.Sum(o => (long)o.Values.Length) * sizeof(float) >= LargeOutputBytes)
                {
                    GC.Collect();
                }
                if (rows % 2000 < Rows(sample))
                {
                    progress?.Report($"evaluating: {rows} samples");
                }
                if (options.MaxRows is { } max && rows >= max)
                {
                    break;
                }
            }
        }
        finally
        {
            stored?.Dispose();
        }
        if (first is null)
        {
            throw new DataException($"data spec '{data.Text}' gave no samples");
        }
        LatencyStatistics? latency = null;
        LatencyStatistics? baseLatency = null;
        if (options.LatencyRuns > 0)
        {
            var runners = reference is null ? new[] { runner } : new[] { runner, reference };
            progress?.Report($"timing {options.LatencyRuns} single-sample runs on {options.Threads} thread(s)");
            var stats = LatencyBenchmark.Measure(runners, single!, options.LatencyRuns, progress: progress, cancellationToken: cancellationToken);
            latency = stats[0];
            baseLatency = stats.Count > 1 ? stats[1] : null;
        }
        return new EvaluationReport
        {
            Samples = rows,
            Top1Percent = accuracy is { Count: > 0 } ? accuracy.Top1Percent : null,
            Top5Percent = accuracy is { Count: > 0, HasTop5: true } ? accuracy.Top5Percent : null,
            BaselineTop1Percent = baseAccuracy is { Count: > 0 } ? baseAccuracy.Top1Percent : null,
            BaselineTop5Percent = baseAccuracy is { Count: > 0, HasTop5: true } ? baseAccuracy.Top5Percent : null,
            VersusBaseline = rows > 0 ? versusBaseline : null,
            PerOutput = rows > 0 ? perOutput : null,
            VersusStored = versusStored is { Count: > 0 } ? versusStored : null,
            Latency = latency,
            BaselineLatency = baseLatency,
        };
    }

    /// <summary>The evaluation batch for <paramref name="model"/> and its baseline at the shape of the data's
    /// <paramref name="first"/> sample (batch 1): <paramref name="wanted"/>, shrunk by
    /// <see cref="ActivationSizes.BatchFor"/> for the larger of the two.</summary>
    public static int BatchFor(Sample first, OnnxModel model, OnnxModel? baseline, int wanted)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(model);
        var batch = ActivationSizes.BatchFor(model, first, wanted);
        return baseline is null ? batch : Math.Min(batch, ActivationSizes.BatchFor(baseline, first, wanted));
    }

    /// <summary>Top-1 accuracy (percent) of a model over labelled data, batch by batch.</summary>
    public static double Top1(ModelRunner runner, DataSpec data, int batchSize = 64, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(data);
        var accuracy = new Accuracy();
        foreach (var sample in data.Open(runner.Inputs, batchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            accuracy.Add(Run(runner, sample, data)[0].Values, sample.Labels);
        }
        return accuracy.Top1Percent;
    }

    private static IReadOnlyList<RunOutput> Run(ModelRunner runner, Sample sample, DataSpec data)
    {
        try
        {
            return runner.Run(sample);
        }
        catch (ModelRunException e)
        {
            throw new DataException($"data '{data.Text}' does not fit {runner.Label}: {e.Message}", e);
        }
    }

    /// <summary>Output bytes a batch from which the evaluation collects garbage after the batch.</summary>
    private const long LargeOutputBytes = 32L << 20;

    private static int Rows(Sample s) => s.Inputs.Count > 0 && s.Inputs[0].Dims.Length > 0 ? (int)s.Inputs[0].Dims[0] : 1;

    private static string Label(OnnxModel m, string fallback) => m.SourcePath is null ? fallback : Path.GetFileName(m.SourcePath);
}
