using System.Diagnostics;
using EdgeCompress.Protocol;
using EdgeCompress.Sensors;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCompress.Runtime;

/// <summary>Progress of a running benchmark.</summary>
/// <param name="Phase">idle-power, init, warmup or measure.</param>
/// <param name="Done">Inferences done in the phase.</param>
/// <param name="Total">Inferences planned, when known.</param>
public sealed record BenchmarkProgress(string Phase, int Done, int? Total);

/// <summary>
/// Measures one model the way onnxruntime_perf_test and TFLite benchmark_model do: session creation (init), first
/// inference, warm-up, then a measured loop timed per inference, with memory, CPU time, thermal state and (from the
/// same run, window anchored to the measured loop) power. Runs synchronously on the calling thread.
/// </summary>
public static class BenchmarkEngine
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Runs the benchmark. Throws <see cref="BenchmarkException"/> for a request that cannot run, <see cref="ModelRunException"/> for a model ONNX Runtime cannot load or run, and
    /// <see cref="OperationCanceledException"/> when cancelled. With <paramref name="samples"/> the loop cycles over those
    /// inputs (checked against the model first) and every sample's outputs are kept in it; otherwise inputs are generated.</summary>
    public static BenchmarkResult Run(string modelPath, string modelName, BenchmarkRequest request, BenchmarkEnvironment environment,
        IProgress<BenchmarkProgress>? progress, CancellationToken cancellationToken, SampleInputs? samples = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(environment);
        if (BenchmarkRequestRules.Normalize(request) is { } problem)
        {
            throw new BenchmarkException(problem);
        }

        var result = new BenchmarkResult { OnnxRuntimeVersion = ModelCheck.OnnxRuntimeVersion };
        var thermal = ThermalProbe.Before(environment);
        using var sampler = StartSampler(request, environment, result.Power);
        var idle = (From: TimeSpan.Zero, To: TimeSpan.Zero);
        if (sampler is not null && request.IdleSeconds > 0)
        {
            progress?.Report(new BenchmarkProgress("idle-power", 0, null));
            idle.From = sampler.Elapsed;
            cancellationToken.WaitHandle.WaitOne(TimeSpan.FromSeconds(request.IdleSeconds));
            cancellationToken.ThrowIfCancellationRequested();
            idle.To = sampler.Elapsed;
        }

        ProcessMemory.TryResetPeak();
        var rssBefore = ProcessMemory.TryReadRssBytes();
        progress?.Report(new BenchmarkProgress("init", 0, null));
        var initStart = Stopwatch.GetTimestamp();
        var settings = new SessionSettings
        {
            Threads = request.Threads,
            InterOpThreads = request.InterOpThreads,
            Optimization = BenchmarkRequestRules.OptimizationLevel(request.GraphOptimization),
        };
        using var session = OrtSessions.Open(modelPath, settings, modelName);
        result.InitMs = Stopwatch.GetElapsedTime(initStart).TotalMilliseconds;

        List<List<OrtValue>> inputs = samples is null ? [InputFactory.Create(session, request.InputShapes, modelName)] : samples.Create(session, modelName);
        try
        {
            using var loop = new InferenceLoop(session, inputs, modelName);
            result.FirstInferenceMs = loop.RunOnce();
            if (samples is not null)
            {
                progress?.Report(new BenchmarkProgress("outputs", 0, inputs.Count));
                loop.RunKeepingOutputs(samples, cancellationToken);
                progress?.Report(new BenchmarkProgress("outputs", inputs.Count, inputs.Count));
                (result.InputSamples, result.OutputBytes) = (inputs.Count, samples.OutputBytes);
            }

            var warmup = new List<double>(request.Warmup);
            for (var i = 0; i < request.Warmup; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                warmup.Add(loop.RunOnce());
            }

            result.WarmupCount = warmup.Count;
            result.WarmupMeanMs = warmup.Count > 0 ? warmup.Average() : 0;
            progress?.Report(new BenchmarkProgress("warmup", warmup.Count, request.Warmup));

            var latencies = Measure(loop, request, environment, sampler, progress, cancellationToken, out var window, out var cpu);
            var stats = LatencyStatistics.From(latencies);
            (result.Count, result.MinMs, result.MaxMs, result.MeanMs, result.StdMs) = (stats.Count, stats.MinMs, stats.MaxMs, stats.MeanMs, stats.StdMs);
            (result.P50Ms, result.P90Ms, result.P95Ms, result.P99Ms, result.P999Ms) = (stats.P50Ms, stats.P90Ms, stats.P95Ms, stats.P99Ms, stats.P999Ms);
            result.PercentilesMs = stats.PercentilesMs;
            result.MeasuredSeconds = (window.To - window.From).TotalSeconds;
            result.ThroughputPerSecond = result.MeasuredSeconds > 0 ? stats.Count / result.MeasuredSeconds : 0;
            result.CpuTimeMs = cpu.TotalMilliseconds;
            result.CpuUtilization = result.MeasuredSeconds > 0 ? cpu.TotalSeconds / result.MeasuredSeconds : 0;
            result.PeakRssBytes = ProcessMemory.TryReadPeakRssBytes();
            result.RssDeltaBytes = ProcessMemory.TryReadRssBytes() - rssBefore;

            if (sampler is not null)
            {
                PowerSummary.Fill(result.Power, sampler, sampler.Stop(), idle, window, stats.Count);
            }
        }
        finally
        {
            inputs.ForEach(set => set.ForEach(v => v.Dispose()));
        }

        result.Thermal = ThermalProbe.After(environment, thermal);
        return result;
    }

    private static List<double> Measure(InferenceLoop loop, BenchmarkRequest request, BenchmarkEnvironment environment,
        PowerSampler? sampler, IProgress<BenchmarkProgress>? progress, CancellationToken cancellationToken,
        out (TimeSpan From, TimeSpan To) window, out TimeSpan cpu)
    {
        var planned = request.Iterations;
        var duration = request.DurationSeconds is { } s ? TimeSpan.FromSeconds(s) : (TimeSpan?)null;
        var latencies = new List<double>(planned ?? 1024);
        progress?.Report(new BenchmarkProgress("measure", 0, planned));

        using var marker = environment.Marker?.Raise();
        var clock = Stopwatch.StartNew();
        window.From = sampler?.Elapsed ?? TimeSpan.Zero;
        var cpuStart = Environment.CpuUsage.TotalTime;
        var nextReport = ProgressInterval;
        while (planned is { } n ? latencies.Count < n : clock.Elapsed < duration!.Value || latencies.Count == 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            latencies.Add(loop.RunOnce());
            if (clock.Elapsed >= nextReport)
            {
                progress?.Report(new BenchmarkProgress("measure", latencies.Count, planned));
                nextReport = clock.Elapsed + ProgressInterval;
            }
        }

        cpu = Environment.CpuUsage.TotalTime - cpuStart;
        window.To = sampler is null ? clock.Elapsed : sampler.Elapsed;
        if (sampler is null)
        {
            window.From = TimeSpan.Zero;
        }

        progress?.Report(new BenchmarkProgress("measure", latencies.Count, planned));
        return latencies;
    }

    private static PowerSampler? StartSampler(BenchmarkRequest request, BenchmarkEnvironment environment, PowerResult power)
    {
        if (!request.Power)
        {
            power.Unavailable = "power measurement not requested";
            return null;
        }

        if (environment.PowerSensor is null)
        {
            power.Unavailable = environment.PowerUnavailableReason ?? "no power sensor";
            return null;
        }

        power.SensorName = environment.PowerSensor.Name;
        power.Measures = environment.PowerSensor.Measures;
        var sampler = new PowerSampler(environment.PowerSensor, environment.SamplePeriod, environment.Time);
        sampler.Start();
        return sampler;
    }
}
