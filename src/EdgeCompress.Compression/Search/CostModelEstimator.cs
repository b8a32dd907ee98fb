using EdgeCompress.Onnx;
using EdgeCompress.Profiles;

namespace EdgeCompress.Compression.Search;

/// <summary>
/// Estimates single-sample latency on a profile's board from the model's MACs and weight bytes: each operator costs
/// its MACs at the profile's fp32 or int8 rate (int8 when ONNX Runtime will fuse it: QDQ inputs or integer operators),
/// plus a fixed dispatch cost, plus streaming the weights once. A rough figure, always labelled "estimated".
/// </summary>
public static class CostModelEstimator
{
    private static readonly HashSet<string> FusedAway = new(StringComparer.Ordinal)
    {
        "QuantizeLinear", "DequantizeLinear", "Constant", "Identity", "Shape", "Flatten", "Reshape", "Squeeze", "Unsqueeze",
    };

    /// <summary>Estimated p50 latency in milliseconds for one sample on the profile's board.</summary>
    public static double EstimateMs(OnnxModel model, DeviceProfile profile)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(profile);
        var cost = CostModel.Compute(model, ShapeInference.Infer(model, BatchOfOne(model)));
        var c = profile.CostModel;
        var threads = Math.Max(1, Math.Min(profile.Runtime.IntraOpThreads, profile.Cpu.Cores));
        // Parallel efficiency falls with threads on small layers; 0.8 per extra thread is what small CNNs see.
        var parallel = 1 + ((threads - 1) * 0.8);
        var seconds = 0.0;
        var operators = 0;
        foreach (var node in model.Graph.Nodes)
        {
            if (!FusedAway.Contains(node.OpType))
            {
                operators++;
            }
        }
        foreach (var n in cost.Nodes)
        {
            if (n.Macs is not { } macs || macs <= 0)
            {
                continue;
            }
            var node = model.Graph.Nodes.FirstOrDefault(x => OnnxGraph.NodeLabel(x) == n.Node);
            var rate = node is not null && IsInt8(model.Graph, node) ? c.Int8MegaMacsPerSecondPerCore : c.Fp32MegaMacsPerSecondPerCore;
            seconds += macs / (rate * 1e6 * parallel);
        }
        seconds += cost.ParameterBytes / (c.MemoryMegabytesPerSecond * 1024 * 1024);
        seconds += operators * c.PerOperatorMicroseconds * 1e-6;
        return seconds * 1000;
    }

    private static bool IsInt8(OnnxGraph graph, Onnx.Protos.NodeProto node) =>
        node.OpType.StartsWith("QLinear", StringComparison.Ordinal) || node.OpType is "ConvInteger" or "MatMulInteger" or "MatMulIntegerToFloat" or "DynamicQuantizeMatMul"
        || (node.Input.Count > 0 && graph.Producer(node.Input[0])?.OpType == "DequantizeLinear");

    /// <summary>Multiply-accumulates for one sample (dynamic dims taken as 1), or null when shapes cannot be inferred.</summary>
    public static long? MacsPerSample(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var cost = CostModel.Compute(model, ShapeInference.Infer(model, BatchOfOne(model)));
        return cost.UnknownMacNodes > 0 && cost.TotalMacs == 0 ? null : cost.TotalMacs;
    }

    private static Dictionary<string, long[]> BatchOfOne(OnnxModel model)
    {
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var input in model.Graph.RealInputs)
        {
            var dims = input.Type?.TensorType?.Shape?.Dim;
            if (dims is null)
            {
                continue;
            }
            shapes[input.Name] = dims.Select(d => d.HasDimValue && d.DimValue > 0 ? d.DimValue : 1).ToArray();
        }
        return shapes;
    }
}

/// <summary>
/// How far the cost model is off on a profile's real boards: the median of measured / estimated p50 over models
/// benchmarked on devices of that profile. One factor, not per operator: with the handful of measurements a field
/// engineer records, a per-class fit would chase noise.
/// </summary>
/// <param name="Scale">Multiplier applied to the raw estimate.</param>
/// <param name="Measurements">How many measured models it rests on.</param>
public sealed record CostModelCalibration(double Scale, int Measurements)
{
    /// <summary>The calibration from (model file, measured p50) pairs of one profile; null when none is usable.</summary>
    public static CostModelCalibration? From(DeviceProfile profile, IEnumerable<(string ModelPath, double MeasuredP50Ms)> measured)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(measured);
        var ratios = new List<double>();
        foreach (var (path, p50) in measured)
        {
            if (!(p50 > 0) || !File.Exists(path))
            {
                continue;
            }
            double estimate;
            try
            {
                estimate = CostModelEstimator.EstimateMs(OnnxModel.Load(path), profile);
            }
            catch (OnnxFormatException)
            {
                continue;
            }
            if (estimate > 0)
            {
                ratios.Add(p50 / estimate);
            }
        }
        if (ratios.Count == 0)
        {
            return null;
        }
        ratios.Sort();
        return new CostModelCalibration(Evaluation.Percentiles.OfSorted(ratios, 50), ratios.Count);
    }
}

/// <summary>Measures accuracy and fidelity on this host but takes latency from the profile's cost model.</summary>
public sealed class EstimatingMeasurer : IVariantMeasurer
{
    private readonly LocalMeasurer _accuracy;
    private readonly DeviceProfile _profile;
    private readonly CostModelCalibration? _calibration;

    /// <summary>Creates the measurer; <paramref name="accuracy"/> should skip host latency (iterations 0);
    /// <paramref name="calibration"/> scales the estimate by what the profile's devices measured.</summary>
    public EstimatingMeasurer(LocalMeasurer accuracy, DeviceProfile profile, CostModelCalibration? calibration = null)
    {
        _accuracy = accuracy;
        _profile = profile;
        _calibration = calibration;
    }

    /// <inheritdoc />
    public async Task<VariantMeasurement> MeasureAsync(string modelPath, string baselinePath, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var m = await _accuracy.MeasureAsync(modelPath, baselinePath, progress, cancellationToken).ConfigureAwait(false);
        var estimate = CostModelEstimator.EstimateMs(_accuracy.Load(modelPath), _profile) * (_calibration?.Scale ?? 1);
        var where = _calibration is null
            ? $"cost-model:{_profile.Id}"
            : $"cost-model:{_profile.Id} calibrated x{_calibration.Scale:F2} by {_calibration.Measurements} measured model(s)";
        return m with { P50Ms = estimate, P90Ms = null, P99Ms = null, SamplesMs = null, LatencySource = "estimated", LatencyWhere = where };
    }
}
