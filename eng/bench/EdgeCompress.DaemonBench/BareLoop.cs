using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeCompress.DaemonBench;

/// <summary>
/// The reference: a bare ONNX Runtime loop with nothing around it (no HTTP, no sampler, no progress), timing each
/// Run the same way (outputs released after the clock stops). Prints "p50Ms mean count".
/// </summary>
internal static class BareLoop
{
    public static int Run(Options options)
    {
        var model = options.Require("model");
        var iterations = options.Int("iterations", 2000);
        var warmup = options.Int("warmup", 20);
        using var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = options.Int("threads", 1),
            InterOpNumThreads = 0,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        using var session = new InferenceSession(model, sessionOptions);
        var inputs = new List<OrtValue>();
        foreach (var (name, meta) in session.InputMetadata)
        {
            if (meta.ElementDataType != TensorElementType.Float)
            {
                throw new NotSupportedException($"bare loop generates float inputs only; {name} is {meta.ElementDataType}");
            }

            var shape = meta.Dimensions.Select(d => d > 0 ? (long)d : 1L).ToArray();
            var random = new Random(1);
            var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
            for (var i = 0; i < data.Length; i++)
            {
                data[i] = (float)random.NextDouble();
            }

            inputs.Add(OrtValue.CreateTensorValueFromMemory(data, shape));
        }

        string[] inputNames = [.. session.InputMetadata.Keys];
        string[] outputNames = [.. session.OutputMetadata.Keys];
        using var runOptions = new RunOptions();
        var latencies = new double[iterations];
        for (var i = 0; i < warmup + 1; i++)
        {
            session.Run(runOptions, inputNames, inputs, outputNames).Dispose();
        }

        for (var i = 0; i < iterations; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var outputs = session.Run(runOptions, inputNames, inputs, outputNames);
            latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            outputs.Dispose();
        }

        inputs.ForEach(v => v.Dispose());
        Array.Sort(latencies);
        var p50 = Stats.Percentile(latencies, 0.5);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{p50:R} {latencies.Average():R} {latencies.Length}"));
        return 0;
    }
}

internal static class Stats
{
    public static double Percentile(IReadOnlyList<double> sorted, double q)
    {
        var position = q * (sorted.Count - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Count - 1);
        return sorted[lower] + ((sorted[upper] - sorted[lower]) * (position - lower));
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return Percentile(sorted, 0.5);
    }
}
