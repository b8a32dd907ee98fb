using System.Diagnostics;
using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Pruning;

/// <summary>How a model does on data: top-1 accuracy when the data is labelled, and the cosine of its outputs
/// against a reference model's.</summary>
public sealed record QualityFigures(double? Accuracy, double Cosine, int Rows);

/// <summary>One point of a pruning sweep: ratio, what is left, and how well the pruned model does.</summary>
public sealed record SweepPoint(double Ratio, double ParamsRatio, double MacsRatio, QualityFigures Quality);

/// <summary>Single-thread latency medians of two models measured in alternating rounds on the same input.</summary>
public sealed record LatencyComparison(double BaselineMedianMs, double CandidateMedianMs, int Runs)
{
    /// <summary>How many times faster the candidate is.</summary>
    public double Speedup => BaselineMedianMs / CandidateMedianMs;
}

/// <summary>
/// Measurements around pruning: accuracy/fidelity on data, the accuracy curve over ratios (without fine-tuning),
/// and a single-thread latency benchmark. These print figures for reports; they are not unit-test timing checks.
/// </summary>
public static class PruneStudy
{
    /// <summary>Runs both models over the data; accuracy needs labels and a [N, classes] first output.</summary>
    public static QualityFigures Evaluate(OnnxModel reference, OnnxModel candidate, DataSpec data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var a = ModelRunner.Create(reference, "baseline", new RunnerOptions { Threads = 0 });
        using var b = ModelRunner.Create(candidate, "pruned", new RunnerOptions { Threads = 0 });
        var fidelity = new Fidelity();
        long correct = 0;
        var rows = 0;
        var labelled = true;
        foreach (var sample in data.Open(a.Inputs, batchSize: 256))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var x = a.Run(sample)[0];
            var y = b.Run(sample)[0];
            fidelity.Add(x.Values, y.Values);
            var n = x.Dims.Length > 0 ? (int)x.Dims[0] : 1;
            rows += n;
            if (sample.Labels is null || x.Dims.Length != 2)
            {
                labelled = false;
                continue;
            }
            var width = (int)y.Dims[1];
            for (var r = 0; r < n; r++)
            {
                var row = y.Values.AsSpan(r * width, width);
                var best = 0;
                for (var j = 1; j < width; j++)
                {
                    if (row[j] > row[best])
                    {
                        best = j;
                    }
                }
                correct += best == sample.Labels[r] ? 1 : 0;
            }
        }
        return new QualityFigures(labelled && rows > 0 ? (double)correct / rows : null, fidelity.Cosine, rows);
    }

    /// <summary>Prunes at each ratio with the given settings and evaluates against the unpruned model.</summary>
    public static IEnumerable<SweepPoint> Sweep(OnnxModel model, IEnumerable<double> ratios, Func<double, ChannelPruningOptions> options,
        DataSpec data, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        foreach (var ratio in ratios)
        {
            var result = new ChannelPruningPass(options(ratio)).Apply(model, progress, cancellationToken);
            var t = result.Record.Totals;
            yield return new SweepPoint(ratio, t["params_after"] / t["params_before"], t["macs_after"] / Math.Max(1, t["macs_before"]),
                Evaluate(model, result.Model, data, cancellationToken));
        }
    }

    /// <summary>Median single-thread latency of one batch-1 inference for each model, measured in alternating
    /// rounds so that machine load affects both alike.</summary>
    public static LatencyComparison CompareLatency(OnnxModel baseline, OnnxModel candidate, int runs = 300, CancellationToken cancellationToken = default)
    {
        using var a = ModelRunner.Create(baseline, "baseline", new RunnerOptions { Threads = 1 });
        using var b = ModelRunner.Create(candidate, "pruned", new RunnerOptions { Threads = 1 });
        var sample = DataSpec.Parse("synthetic:1").Open(a.Inputs, 1).First();
        var timesA = new List<double>();
        var timesB = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            a.Run(sample);
            b.Run(sample);
        }
        const int Rounds = 10;
        for (var round = 0; round < Rounds; round++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Time(a, sample, runs / Rounds, timesA);
            Time(b, sample, runs / Rounds, timesB);
        }
        return new LatencyComparison(Median(timesA), Median(timesB), timesA.Count);
    }

    private static void Time(ModelRunner runner, Sample sample, int count, List<double> into)
    {
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            runner.Run(sample);
            into.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2;
    }
}
