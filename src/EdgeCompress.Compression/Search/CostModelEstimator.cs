using EdgeCompress.Protocol;
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
        return Breakdown(model).EstimateMs(profile);
    }

    /// <summary>The work of one sample, split by the kind of kernel that does it (what the estimate prices).</summary>
    public static CostBreakdown Breakdown(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var shapes = ShapeInference.Infer(model, BatchOfOne(model));
        var cost = CostModel.Compute(model, shapes);
        var graph = model.Graph;
        var byLabel = new Dictionary<string, Onnx.Protos.NodeProto>(StringComparer.Ordinal);
        foreach (var n in graph.Nodes)
        {
            byLabel.TryAdd(OnnxGraph.NodeLabel(n), n);
        }
        double denseFp32 = 0, denseInt8 = 0, depthwiseFp32 = 0, depthwiseInt8 = 0, signedInt8 = 0, movedBytes = 0;
        var operators = 0;
        foreach (var n in cost.Nodes)
        {
            if (n.Macs is not { } macs || macs <= 0 || !byLabel.TryGetValue(n.Node, out var node) || !IsLayer(node))
            {
                continue;
            }
            var int8 = IsInt8(graph, node);
            if (int8 && SignedActivations(graph, node))
            {
                signedInt8 += macs;
            }
            if (IsDepthwise(graph, node))
            {
                if (int8) { depthwiseInt8 += macs; } else { depthwiseFp32 += macs; }
            }
            else if (int8) { denseInt8 += macs; } else { denseFp32 += macs; }
        }
        foreach (var node in graph.Nodes)
        {
            if (FusedAway.Contains(node.OpType) || IsLayer(node))
            {
                continue;
            }
            operators++;
            // Everything that is not a layer streams its output through memory once (activations, elementwise,
            // pooling, concat, layout ops): float elements, or bytes for a quantized tensor.
            if (node.Output.Count > 0 && shapes.TypeOf(node.Output[0]) is { } t && t.ElementCount() is { } count)
            {
                movedBytes += count * (t.ElementType is Onnx.Protos.TensorProto.Types.DataType.Int8 or Onnx.Protos.TensorProto.Types.DataType.Uint8 ? 1 : 4);
            }
        }
        var layers = graph.Nodes.Count(IsLayer);
        return new CostBreakdown(denseFp32, depthwiseFp32, denseInt8, depthwiseInt8, movedBytes, cost.ParameterBytes, layers + operators, signedInt8);
    }

    private static bool IsInt8(OnnxGraph graph, Onnx.Protos.NodeProto node) =>
        node.OpType.StartsWith("QLinear", StringComparison.Ordinal) || node.OpType is "ConvInteger" or "MatMulInteger" or "MatMulIntegerToFloat" or "DynamicQuantizeMatMul" or "QGemm"
        || (node.Input.Count > 0 && graph.Producer(node.Input[0])?.OpType == "DequantizeLinear");

    /// <summary>True when a quantized layer reads int8 (not uint8) activations.</summary>
    private static bool SignedActivations(OnnxGraph graph, Onnx.Protos.NodeProto node)
    {
        var zeroPoint = node.OpType == "QLinearConv" || node.OpType == "QLinearMatMul" ? node.Input[2]
            : graph.Producer(node.Input[0]) is { OpType: "DequantizeLinear" } dq && dq.Input.Count > 2 ? dq.Input[2] : null;
        return zeroPoint is not null && graph.GetConstant(zeroPoint)?.DataType == (int)Onnx.Protos.TensorProto.Types.DataType.Int8;
    }

    private static bool IsLayer(Onnx.Protos.NodeProto node) =>
        node.OpType is "Conv" or "ConvInteger" or "QLinearConv" or "ConvTranspose" or "Gemm" or "MatMul" or "MatMulInteger"
            or "QLinearMatMul" or "FusedConv" or "FusedGemm" or "FusedMatMul" or "QGemm" or "MatMulIntegerToFloat" or "DynamicQuantizeMatMul"
            or "LSTM" or "GRU" or "RNN";

    /// <summary>A convolution with one input channel per filter (group = channels): a MAC per value loaded, so it runs
    /// far below the dense GEMM rate.</summary>
    private static bool IsDepthwise(OnnxGraph graph, Onnx.Protos.NodeProto node)
    {
        if (node.OpType is not ("Conv" or "QLinearConv" or "FusedConv") || node.GetInt("group", 1) <= 1)
        {
            return false;
        }
        var w = node.OpType == "QLinearConv" ? node.Input[3] : node.Input[1];
        var dims = graph.GetConstant(w)?.Dims ?? (graph.Producer(w) is { OpType: "DequantizeLinear" } dq ? graph.GetConstant(dq.Input[0])?.Dims : null);
        return dims is { Count: > 1 } && dims[1] == 1;
    }

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
/// The work of one sample by kernel kind. Priced per profile: dense layers at the profile's fp32/int8 rates, depthwise
/// convolutions at a fraction of them, every value non-layer operators write at the memory bandwidth, the weights read
/// once, and a fixed cost per operator. The fractions were fitted (non-negative least squares on relative error) on
/// the zoo's 56 models and variants against single-thread medians on an AVX-512 VNNI host (`factor-bench costmodel`,
/// see the README); on ARM boards they are unverified until `edgec bench` results calibrate the profile.
/// </summary>
public sealed record CostBreakdown(double DenseFp32Macs, double DepthwiseFp32Macs, double DenseInt8Macs, double DepthwiseInt8Macs,
    double MovedBytes, long ParameterBytes, int Operators, double SignedInt8Macs = 0)
{
    /// <summary>fp32 depthwise convolutions' rate as a fraction of the dense fp32 rate (fitted: 0.125).</summary>
    public const double DepthwiseFp32Efficiency = 0.125;

    /// <summary>int8 depthwise convolutions' rate as a fraction of the dense int8 rate (fitted: 0.04; x86's int8
    /// kernels gain little on depthwise, so int8 is often slower there).</summary>
    public const double DepthwiseInt8Efficiency = 0.04;

    /// <summary>On x86, int8 layers with int8 (not uint8) activations leave ONNX Runtime's u8 x s8 kernels for a slower
    /// path: this fraction of the rate (fitted: 120.7k / 287.8k MMAC/s).</summary>
    public const double X86SignedActivationEfficiency = 0.42;

    /// <summary>The estimate in milliseconds for one sample on the profile's board.</summary>
    public double EstimateMs(DeviceProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var c = profile.CostModel;
        var threads = Math.Max(1, Math.Min(profile.Runtime.IntraOpThreads, profile.Cpu.Cores));
        // Parallel efficiency falls with threads on small layers; 0.8 per extra thread is what small CNNs see.
        var parallel = 1 + ((threads - 1) * 0.8);
        var fp32 = c.Fp32MegaMacsPerSecondPerCore * 1e6 * parallel;
        var int8 = c.Int8MegaMacsPerSecondPerCore * 1e6 * parallel;
        // int8 MACs read through int8 activations, on x86, run at the slower rate (spread over dense and depthwise alike).
        var slowShare = profile.Cpu.Architecture == "x86_64" && DenseInt8Macs + DepthwiseInt8Macs > 0
            ? Math.Min(1, SignedInt8Macs / (DenseInt8Macs + DepthwiseInt8Macs)) : 0;
        var int8Factor = (1 - slowShare) + (slowShare / X86SignedActivationEfficiency);
        var seconds = (DenseFp32Macs / fp32) + (DepthwiseFp32Macs / (fp32 * DepthwiseFp32Efficiency))
            + (int8Factor * ((DenseInt8Macs / int8) + (DepthwiseInt8Macs / (int8 * DepthwiseInt8Efficiency))))
            + ((MovedBytes + ParameterBytes) / (c.MemoryMegabytesPerSecond * 1024 * 1024))
            + (Operators * c.PerOperatorMicroseconds * 1e-6);
        return seconds * 1000;
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
        return new CostModelCalibration(Percentiles.OfSorted(ratios, 50), ratios.Count);
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
