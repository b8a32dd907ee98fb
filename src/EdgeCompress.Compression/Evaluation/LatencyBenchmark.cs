using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Runtime;

namespace EdgeCompress.Compression.Evaluation;

/// <summary>
/// Times models on this host the way onnxruntime_perf_test and edged do (<see cref="InferenceLoop"/>: inputs bound
/// once, the session run timed): warm-up runs first, then repeated runs of one sample, summarised as
/// <see cref="LatencyStatistics"/>. Several models are timed interleaved (A, B, A, B, ...) so that a slow patch of the
/// machine (another process, frequency changes) hits all of them alike and their ratio stays fair.
/// </summary>
public static class LatencyBenchmark
{
    private static readonly TimeSpan MinimumWarmup = TimeSpan.FromMilliseconds(250);

    /// <summary>Times each runner on the same sample; returns one result per runner, in order (null where
    /// <paramref name="runs"/> is 0).</summary>
    public static IReadOnlyList<LatencyStatistics?> Measure(IReadOnlyList<ModelRunner> runners, Sample sample, int runs, int warmup = 5,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default) =>
        Timings(runners, sample, runs, warmup, progress, cancellationToken).Select(t => t.Count == 0 ? null : LatencyStatistics.From(t)).ToArray();

    /// <summary>As <see cref="Measure"/>, but the raw per-run milliseconds (for distributions), one list per runner.</summary>
    public static IReadOnlyList<List<double>> Timings(IReadOnlyList<ModelRunner> runners, Sample sample, int runs, int warmup = 5,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runners);
        ArgumentNullException.ThrowIfNull(sample);
        var loops = new List<InferenceLoop>(runners.Count);
        try
        {
            loops.AddRange(runners.Select(r => r.Bind(sample)));
            // At least the asked-for runs and, when there are any, a quarter of a second: the verbs that time (eval,
            // optimize, quantize's speed check) run after a lot of managed work whose tier-up compilation the runtime
            // does in the background, and on a 2-vCPU machine (one core's two threads) that stole 5-15% of the first
            // timed runs (squeezenet1_1, eval p50 3.86-4.04 ms against 3.59-3.70 ms with tiered compilation off).
            var warming = System.Diagnostics.Stopwatch.StartNew();
            for (var w = 0; w < warmup || (warmup > 0 && warming.Elapsed < MinimumWarmup); w++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                loops.ForEach(l => l.RunOnce());
            }
            var timings = runners.Select(_ => new List<double>(runs)).ToArray();
            for (var i = 0; i < runs; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                for (var k = 0; k < loops.Count; k++)
                {
                    timings[k].Add(loops[k].RunOnce());
                }
                if ((i + 1) % 50 == 0)
                {
                    progress?.Report($"timing: {i + 1}/{runs} runs");
                }
            }
            return timings;
        }
        finally
        {
            loops.ForEach(l => l.Dispose());
        }
    }
}
