using System.Globalization;
using EdgeCompress.Compression.GraphPrep;
using EdgeCompress.Compression.Passes;
using EdgeCompress.Data;
using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Quantization;

/// <summary>What a quantization run produced: the prepared float model, the quantized model and the records.</summary>
/// <param name="Prepared">The float model after graph preparation (the reference the quantized one is compared to).</param>
/// <param name="Quantized">The quantized model.</param>
/// <param name="Records">Records of graph preparation and quantization.</param>
/// <param name="Calibration">What calibration saw (null in dynamic mode).</param>
public sealed record QuantizationOutcome(OnnxModel Prepared, OnnxModel Quantized, IReadOnlyList<PassRecord> Records, CalibrationResult? Calibration);

/// <summary>
/// Graph preparation, calibration and quantization in one call: what <c>edgec quantize</c> runs before it measures
/// and guards the result.
/// </summary>
public static class QuantizationPipeline
{
    /// <summary>Prepares the graph and, in static mode, calibrates it; returns the prepared model and the histograms.</summary>
    public static (PassResult Prepared, CalibrationResult? Calibration) PrepareAndCalibrate(OnnxModel model, QuantizationOptions options,
        DataSpec? calibration, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        QuantizedModelCheck.ThrowIfQuantized(model);
        var prepared = new GraphPreparation().Apply(model, progress, cancellationToken);
        if (options.Mode == QuantizationMode.Dynamic)
        {
            return (prepared, null);
        }
        ArgumentNullException.ThrowIfNull(calibration);
        // Int8 operators exist from opset 10 and per-channel weights from 13: lift the model where it can be lifted.
        OpsetUpgrade.Run(prepared.Model, prepared.Record, options.PerChannel);
        var tensors = QdqPlanner.CalibrationTensors(prepared.Model.Graph);
        var result = Calibrator.Collect(prepared.Model, tensors, calibration, progress: progress, cancellationToken: cancellationToken);
        return (prepared, result);
    }

    /// <summary>Quantizes a prepared model with the given options (and, in static mode, the calibration).</summary>
    public static PassResult Quantize(OnnxModel prepared, QuantizationOptions options, CalibrationResult? calibration,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ICompressionPass pass = options.Mode == QuantizationMode.Dynamic
            ? new DynamicQuantizer(options)
            : new StaticQuantizer(options, (calibration ?? throw new ArgumentNullException(nameof(calibration))).Ranges(options.Method, options.Percentile));
        return pass.Apply(prepared, progress, cancellationToken);
    }

    /// <summary>The whole run: prepare, calibrate (static), quantize.</summary>
    public static QuantizationOutcome Run(OnnxModel model, QuantizationOptions options, DataSpec? calibration,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        var (prepared, cal) = PrepareAndCalibrate(model, options, calibration, progress, cancellationToken);
        var quantized = Quantize(prepared.Model, options, cal, progress, cancellationToken);
        return new QuantizationOutcome(prepared.Model, quantized.Model, [prepared.Record, quantized.Record], cal);
    }

    /// <summary>Why a quantization pass changed nothing, in one line (what the mode covers and what this model has
    /// instead), or null when it turned at least one layer int8.</summary>
    public static string? WhyNothingQuantized(PassRecord record, QuantizationMode mode, OnnxModel? model = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Layers.Any(l => l.Action.StartsWith("quantized", StringComparison.Ordinal) || l.Action.StartsWith("int8 weights", StringComparison.Ordinal)))
        {
            return null;
        }
        var inv = CultureInfo.InvariantCulture;
        var dynamic = mode == QuantizationMode.Dynamic;
        var covers = dynamic
            ? "MatMul, Gemm and LSTM (GRU/RNN with --weight-only-recurrent)"
            : "Conv, ConvTranspose, Gemm, MatMul, Add, Mul, Concat and average pools";
        var parts = new List<string>();
        bool IsConv(LayerRecord l) => dynamic && l.OpType is "Conv" or "ConvTranspose";
        var convs = record.Layers.Where(IsConv).ToList();
        if (convs.Count > 0)
        {
            var counts = string.Join(" and ", convs.GroupBy(l => l.OpType).Select(g => string.Create(inv, $"{g.Count()} {g.Key}")));
            parts.Add($"this model's {counts} node{(convs.Count == 1 ? "" : "s")} need --mode static");
        }
        foreach (var g in record.Layers.Where(l => !IsConv(l)).GroupBy(l => (l.OpType, l.Action)))
        {
            parts.Add(string.Create(inv, $"{g.Count()} {g.Key.OpType} {g.Key.Action}"));
        }
        var nested = model is null ? [] : SubgraphOps(model.Graph.Proto.Node)
            .Where(op => op is "Conv" or "ConvTranspose" or "Gemm" or "MatMul" or "LSTM" or "GRU").GroupBy(op => op).ToList();
        var what = parts.Count > 0 ? string.Join("; ", parts)
            : nested.Count > 0 ? $"the main graph has none: its {string.Join(", ", nested.Select(g => string.Create(inv, $"{g.Count()} {g.Key}")))} sit inside If/Loop/Scan subgraphs, which edgec does not quantize yet"
            : "this model has none";
        return $"{(dynamic ? "dynamic" : "static")} quantization found nothing to quantize: it covers {covers}, and {what}";
    }

    /// <summary>Op types of every node inside the subgraphs (If branches, Loop/Scan bodies) under <paramref name="nodes"/>.</summary>
    private static IEnumerable<string> SubgraphOps(IEnumerable<Onnx.Protos.NodeProto> nodes) =>
        nodes.SelectMany(n => n.Attribute).SelectMany(a => a.G is null ? a.Graphs : a.Graphs.Append(a.G))
            .SelectMany(g => g.Node.Select(n => n.OpType).Concat(SubgraphOps(g.Node)));
}
