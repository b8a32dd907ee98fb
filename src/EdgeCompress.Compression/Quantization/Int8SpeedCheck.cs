using System.Globalization;
using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Passes;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Quantization;

/// <summary>What the speed check did.</summary>
/// <param name="Result">The model to keep (the input one when nothing helped).</param>
/// <param name="FirstSpeedUp">Float median over int8 median with every layer int8 (single thread, this host).</param>
/// <param name="SpeedUp">The same for the model kept.</param>
/// <param name="KeptFloat">Layers the check kept float for speed, by kind: kind -> node labels.</param>
/// <param name="Trials">Each step tried, in order, with its measured speed-up and whether it was kept.</param>
public sealed record SpeedCheckOutcome(PassResult Result, double FirstSpeedUp, double SpeedUp,
    IReadOnlyDictionary<string, IReadOnlyList<string>> KeptFloat, IReadOnlyList<string> Trials)
{
    /// <summary>Node labels kept float for speed, all kinds.</summary>
    public IReadOnlyList<string> AllKeptFloat => [.. KeptFloat.Values.SelectMany(v => v)];
}

/// <summary>
/// Measures a static int8 model against its float original on this host (single thread, interleaved) and, when int8
/// is slower, keeps float the kinds of layer whose int8 kernels lose here, one kind at a time, keeping a step only
/// when it measured faster: convolutions on 1-4 input channels (the first conv: too little work to pay for the
/// Q/DQ around it), depthwise convolutions, and layers without multiply-accumulates (activations, elementwise,
/// pooling, concat). What ONNX Runtime's users do by hand after profiling. Measured on MobileNetV3-Small (random
/// weights, AVX-512 VNNI host): all int8 0.83x; first conv float 1.00x; all three kinds float 1.06x.
/// </summary>
public static class Int8SpeedCheck
{
    /// <summary>Speed-up over the float model at which int8 is left alone.</summary>
    public const double Enough = 1.0;

    /// <summary>Relative gain a step must measure to be kept (timing noise on a shared host is a few percent).</summary>
    public const double MinGain = 1.03;

    /// <summary>Runs the check. <paramref name="prepared"/> is the float model the quantizer worked on,
    /// <paramref name="quantized"/> its int8 result under <paramref name="options"/>; <paramref name="data"/> gives
    /// the timed input (its first sample; synthetic when null).</summary>
    public static SpeedCheckOutcome Run(OnnxModel original, OnnxModel prepared, PassResult quantized, QuantizationOptions options,
        CalibrationResult? calibration, DataSpec? data, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(prepared);
        ArgumentNullException.ThrowIfNull(quantized);
        ArgumentNullException.ThrowIfNull(options);
        using var reference = ModelRunner.Create(original, "float model", new RunnerOptions { Threads = 1 });
        var sample = (data ?? DataSpec.Parse("synthetic:1")).Open(reference.Inputs, 1).FirstOrDefault()
            ?? DataSpec.Parse("synthetic:1").Open(reference.Inputs, 1).First();
        var (runs, warmup) = RunsFor(reference, sample);

        double SpeedUp(OnnxModel candidate)
        {
            using var runner = ModelRunner.Create(candidate, "int8 model", new RunnerOptions { Threads = 1 });
            var stats = LatencyBenchmark.Measure([reference, runner], sample, runs, warmup: warmup, cancellationToken: cancellationToken);
            return stats[0]!.P50Ms / stats[1]!.P50Ms;
        }

        var c = CultureInfo.InvariantCulture;
        var first = SpeedUp(quantized.Model);
        progress?.Report(string.Create(c, $"speed check: all int8 {first:F2}x the float model (single thread, {runs} runs each, this host)"));
        var trials = new List<string>();
        var kept = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (first >= Enough)
        {
            return new SpeedCheckOutcome(quantized, first, first, kept, trials);
        }
        var best = (Result: quantized, SpeedUp: first);
        var excluded = new HashSet<string>(options.Exclude, StringComparer.Ordinal);
        var int8Layers = quantized.Record.Layers.Where(l => l.Action.StartsWith("quantized", StringComparison.Ordinal)).Select(l => l.Node).ToHashSet(StringComparer.Ordinal);
        var graph = prepared.Graph;
        foreach (var (kind, test) in Kinds(graph))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var layers = graph.Nodes.Where(n => int8Layers.Contains(OnnxGraph.NodeLabel(n)) && test(n)).Select(OnnxGraph.NodeLabel).ToList();
            if (layers.Count == 0)
            {
                continue;
            }
            var trial = QuantizationPipeline.Quantize(prepared, options.WithExcluded(excluded.Concat(layers)), calibration, null, cancellationToken);
            if (QuantizationPipeline.WhyNothingQuantized(trial.Record, options.Mode) is not null)
            {
                trials.Add($"{kind} float: nothing left int8, not tried");
                continue;
            }
            var speedUp = SpeedUp(trial.Model);
            var keep = speedUp >= best.SpeedUp * MinGain;
            trials.Add(string.Create(c, $"{layers.Count} {kind} float: {speedUp:F2}x{(keep ? " (kept)" : " (no gain, undone)")}"));
            progress?.Report($"speed check: {trials[^1]}");
            if (keep)
            {
                var mine = kept.Values.SelectMany(v => v).Concat(layers).ToHashSet(StringComparer.Ordinal);
                for (var i = 0; i < trial.Record.Layers.Count; i++)
                {
                    if (mine.Contains(trial.Record.Layers[i].Node))
                    {
                        trial.Record.Layers[i] = trial.Record.Layers[i] with { Action = "kept float: its int8 form is slower on this host (speed check)" };
                    }
                }
                best = (trial, speedUp);
                excluded.UnionWith(layers);
                kept[kind] = layers;
                if (speedUp >= Enough * MinGain)
                {
                    break;
                }
            }
        }
        return new SpeedCheckOutcome(best.Result, first, best.SpeedUp, kept, trials);
    }

    /// <summary>Timed runs per model and warm-up runs: about 3 s of float time in all, at least 5 and at most 40
    /// runs after 2 warm-ups; a model whose float run takes a second or more (a 1024x1024 segmentation net: 10 s on
    /// one thread) gets 3 after 1, where run-to-run noise is small against the run and 5 would add a minute.</summary>
    private static (int Runs, int Warmup) RunsFor(ModelRunner reference, Sample sample)
    {
        reference.RunDiscardingOutputs(sample);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        reference.RunDiscardingOutputs(sample);
        var ms = Math.Max(0.05, clock.Elapsed.TotalMilliseconds);
        return ms >= 1000 ? (3, 1) : ((int)Math.Clamp(3000 / (2 * ms), 5, 40), 2);
    }

    private static IEnumerable<(string Kind, Func<NodeProto, bool> Test)> Kinds(OnnxGraph graph)
    {
        long[]? WeightDims(NodeProto n) => n.Input.Count > 1 ? graph.GetConstant(n.Input[1])?.Dims.ToArray() : null;
        long Group(NodeProto n) => n.GetInt("group", 1);
        yield return ("convolution(s) on 1-4 input channels", n => n.OpType == "Conv" && WeightDims(n) is { Length: > 1 } w && w[1] * Group(n) <= 4);
        yield return ("depthwise convolution(s)", n => n.OpType == "Conv" && Group(n) > 1 && WeightDims(n) is { Length: > 1 } w && w[1] == 1);
        yield return ("layer(s) without multiply-accumulates (activations, elementwise, pooling, concat)",
            n => n.OpType is not ("Conv" or "Gemm" or "MatMul" or "ConvTranspose"));
    }
}
