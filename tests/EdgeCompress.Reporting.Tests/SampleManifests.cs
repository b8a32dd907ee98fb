using EdgeCompress.Compression.Manifest;

namespace EdgeCompress.Reporting.Tests;

internal static class SampleManifests
{
    public static OptimizeManifest ThreeVariants()
    {
        var r = new Random(5);
        List<double> Samples(double median) => Enumerable.Range(0, 200).Select(_ => median * (0.9 + (0.3 * r.NextDouble()))).ToList();
        return new OptimizeManifest
        {
            CreatedUtc = "2026-11-26T09:00:00Z",
            Tool = "edgec 0.1.0",
            Profile = "x64-host",
            Data = "fashion-mnist:test",
            Chosen = "int8-static",
            ChosenReason = "fastest variant within 0.5 points",
            Variants =
            [
                new() { Id = "baseline", File = "baseline.onnx", SizeBytes = 1_200_000, Parameters = 300_000, Macs = 20_000_000, AccuracyPercent = 92.4,
                    Latency = new() { Source = "measured", Where = "local", P50Ms = 1.0, SamplesMs = Samples(1.0) }, Pareto = true, MeetsBudget = true,
                    EnergyPerInferenceMillijoules = 3.1 },
                new() { Id = "int8-static", File = "variants/int8-static.onnx", SizeBytes = 320_000, AccuracyPercent = 92.2,
                    Passes = [new() { Pass = "quantize-static" }],
                    Latency = new() { Source = "measured", Where = "local", P50Ms = 0.55, SamplesMs = Samples(0.55) }, Pareto = true, MeetsBudget = true,
                    EnergyPerInferenceMillijoules = 1.7,
                    Sensitivity = [new() { Node = "conv1", Metric = "1 - cosine", Value = 0.004 }, new() { Node = "fc", Metric = "1 - cosine", Value = 0.001 }] },
                new() { Id = "prune-0.7", File = "variants/prune-0.7.onnx", SizeBytes = 500_000, AccuracyPercent = 88.0,
                    Passes = [new() { Pass = "prune-channels" }],
                    Latency = new() { Source = "measured", Where = "local", P50Ms = 0.7, SamplesMs = Samples(0.7) }, Pareto = false, MeetsBudget = false },
            ],
        };
    }
}
