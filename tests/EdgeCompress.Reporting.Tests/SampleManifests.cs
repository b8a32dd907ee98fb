using EdgeCompress.Manifest;

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

    /// <summary>The three variants measured on data without labels: no accuracy, the guard's per-output figures instead.</summary>
    public static OptimizeManifest Unlabelled()
    {
        var m = ThreeVariants();
        m.Data = "synthetic:input=1x3x32x32,n=256";
        foreach (var v in m.Variants)
        {
            v.AccuracyPercent = null;
        }
        m.Variants[0].Outputs = [Score("scores", 100, 1), Dense("embedding", null, 1)];
        m.Variants[1].Outputs = [Score("scores", 99.2, 0.9991), Dense("embedding", 31.4, 0.9996)];
        m.Variants[2].Outputs = [Score("scores", 96.5, 0.9902), Dense("embedding", 18.2, 0.9921)];
        m.Variants[2].GuardFailure = "'scores' decisions agree on 96.5% of samples (at least 99.0% needed)";
        return m;
    }

    /// <summary>Unlabelled, and every output dense (an embedding model): nothing has a decision to agree on.</summary>
    public static OptimizeManifest UnlabelledDense()
    {
        var m = Unlabelled();
        foreach (var v in m.Variants)
        {
            v.Outputs = v.Outputs!.Where(o => o.Kind == "dense").ToList();
        }
        m.Variants[2].GuardFailure = "'embedding' SQNR 18.2 dB (at least 20 dB needed)";
        return m;
    }

    /// <summary>Twelve variants from 0.2 ms to 40 ms, with ids as long as a search writes them.</summary>
    public static OptimizeManifest TwelveVariants()
    {
        var r = new Random(7);
        var m = ThreeVariants();
        m.Variants.Clear();
        var medians = new[] { 40.0, 22, 12, 8, 5, 3, 1.8, 1.1, 0.7, 0.45, 0.3, 0.2 };
        for (var i = 0; i < medians.Length; i++)
        {
            var median = medians[i];
            m.Variants.Add(new()
            {
                Id = i == 0 ? "baseline" : $"prune-0.{i % 10}+int8-static-{i}",
                SizeBytes = 1_200_000 - (i * 80_000),
                AccuracyPercent = 92.4 - (i * 0.3),
                Latency = new()
                {
                    Source = "measured", Where = "local", P50Ms = median,
                    SamplesMs = Enumerable.Range(0, 100).Select(_ => median * (0.95 + (0.1 * r.NextDouble()))).ToList(),
                },
            });
        }
        m.Chosen = m.Variants[5].Id;
        return m;
    }

    /// <summary>The three variants, int8-static with a per-layer sensitivity study of <paramref name="layers"/> layers
    /// whose sensitivity falls with the layer's index (layer 0 the most sensitive), listed in shuffled order.</summary>
    public static OptimizeManifest SensitivityStudy(int layers)
    {
        var shuffle = new Random(3);
        var m = ThreeVariants();
        m.Variants[1].Sensitivity = Enumerable.Range(0, layers)
            .Select(i => new ManifestLayerSensitivity
            {
                Node = $"/features/features.{i}/Conv",
                Metric = "relative output error when only this layer is int8",
                Value = 0.05 / (i + 1),
            })
            .OrderBy(_ => shuffle.Next()).ToList();
        return m;
    }

    private static ManifestOutput Score(string name, double agree, double cosine) => new()
    {
        Name = name, Kind = "score", Cosine = cosine, AgreementPercent = agree, MaxAbsDifference = 1 - cosine, MeanAbsDifference = (1 - cosine) / 4,
        Summary = FormattableString.Invariant($"score: max |diff| {1 - cosine:F4}, mean |diff| {(1 - cosine) / 4:F4}, decisions agree {agree:F1}% (threshold 0.5), cosine {cosine:F5}"),
    };

    private static ManifestOutput Dense(string name, double? sqnr, double cosine) => new()
    {
        Name = name, Kind = "dense", Cosine = cosine, SqnrDb = sqnr, MaxAbsDifference = 1 - cosine, MeanAbsDifference = (1 - cosine) / 4,
        Summary = FormattableString.Invariant($"dense: SQNR {sqnr ?? double.PositiveInfinity:F1} dB, relative L2 {1 - cosine:F4}, cosine {cosine:F5}"),
    };
}
