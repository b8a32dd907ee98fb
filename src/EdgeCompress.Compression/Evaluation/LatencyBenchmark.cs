using System.Diagnostics;
using EdgeCompress.Compression.Runtime;
using EdgeCompress.Data;

namespace EdgeCompress.Compression.Evaluation;

/// <summary>Latency figures of repeated single-sample runs, in milliseconds.</summary>
/// <param name="Runs">Timed runs.</param>
/// <param name="MedianMs">Median (P50).</param>
/// <param name="P90Ms">90th percentile.</param>
/// <param name="MinMs">Fastest run.</param>
/// <param name="MeanMs">Mean.</param>
public sealed record LatencyStats(int Runs, double MedianMs, double P90Ms, double MinMs, double MeanMs)
{
    /// <summary>Figures from raw timings.</summary>
    public static LatencyStats From(IReadOnlyList<double> timingsMs)
    {
        ArgumentNullException.ThrowIfNull(timingsMs);
        if (timingsMs.Count == 0)
        {
            return new LatencyStats(0, 0, 0, 0, 0);
        }
        var sorted = timingsMs.Order().ToArray();
        return new LatencyStats(sorted.Length, Percentiles.OfSorted(sorted, 50), Percentiles.OfSorted(sorted, 90), sorted[0], sorted.Average());
    }
}

/// <summary>
/// Times models on this host the way onnxruntime_perf_test does: warm-up runs first, then repeated runs of one
/// sample, reported as median and P90. Several models are timed interleaved (A, B, A, B, ...) so that a slow patch
/// of the machine (another process, frequency changes) hits all of them alike and their ratio stays fair.
/// </summary>
public static class LatencyBenchmark
{
    /// <summary>Times each runner on the same sample; returns one result per runner, in order.</summary>
    public static IReadOnlyList<LatencyStats> Measure(IReadOnlyList<ModelRunner> runners, Sample sample, int runs, int warmup = 5,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default) =>
        Timings(runners, sample, runs, warmup, progress, cancellationToken).Select(LatencyStats.From).ToArray();

    /// <summary>As <see cref="Measure"/>, but the raw per-run milliseconds (for distributions), one list per runner.</summary>
    public static IReadOnlyList<List<double>> Timings(IReadOnlyList<ModelRunner> runners, Sample sample, int runs, int warmup = 5,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runners);
        ArgumentNullException.ThrowIfNull(sample);
        for (var w = 0; w < warmup; w++)
        {
            foreach (var r in runners)
            {
                r.RunDiscardingOutputs(sample);
            }
        }
        var timings = runners.Select(_ => new List<double>(runs)).ToArray();
        var clock = new Stopwatch();
        for (var i = 0; i < runs; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            for (var k = 0; k < runners.Count; k++)
            {
                clock.Restart();
                runners[k].RunDiscardingOutputs(sample);
                clock.Stop();
                timings[k].Add(clock.Elapsed.TotalMilliseconds);
            }
            if ((i + 1) % 50 == 0)
            {
                progress?.Report($"timing: {i + 1}/{runs} runs");
            }
        }
        return timings;
    }
}
