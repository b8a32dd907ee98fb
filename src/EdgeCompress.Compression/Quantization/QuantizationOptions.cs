using EdgeCompress.Calibration;

namespace EdgeCompress.Compression.Quantization;

/// <summary>How weights and activations become integers.</summary>
public enum QuantizationMode
{
    /// <summary>QDQ graph with activation ranges fixed by calibration (conv nets).</summary>
    Static,

    /// <summary>int8 weights, activations quantized at run time per batch (MatMul/Gemm-heavy models).</summary>
    Dynamic,
}


/// <summary>Integer type of quantized activations.</summary>
public enum ActivationType
{
    /// <summary>Signed 8-bit (S8S8 with int8 weights): ONNX Runtime's recommended default.</summary>
    S8,

    /// <summary>Unsigned 8-bit (U8S8): faster on x86 without VNNI.</summary>
    U8,
}

/// <summary>Settings of a quantization run.</summary>
public sealed class QuantizationOptions
{
    /// <summary>Static (QDQ, calibrated) or dynamic.</summary>
    public QuantizationMode Mode { get; init; } = QuantizationMode.Static;

    /// <summary>How activation ranges are picked.</summary>
    public CalibrationMethod Method { get; init; } = CalibrationMethod.MinMax;

    /// <summary>Percentile of values kept inside the range for <see cref="CalibrationMethod.Percentile"/>.</summary>
    public double Percentile { get; init; } = 99.999;

    /// <summary>One weight scale per output channel (true) or one per tensor.</summary>
    public bool PerChannel { get; init; } = true;

    /// <summary>Activation integer type for static mode.</summary>
    public ActivationType Activations { get; init; } = ActivationType.S8;

    /// <summary>Quantize weights to 7 bits, which avoids saturating 16-bit accumulators on x86 without VNNI.</summary>
    public bool ReduceRange { get; init; }

    /// <summary>Dynamic mode: store GRU/RNN weights as int8 behind DequantizeLinear although ONNX Runtime has no int8
    /// kernel for them: the file shrinks 4x, but each run dequantizes the weights and loses the runtime's weight
    /// prepacking (measured 1.5x slower on a 128-hidden GRU), so it is opt-in.</summary>
    public bool WeightOnlyRecurrent { get; init; }

    /// <summary>Node names (or labels) that stay in float.</summary>
    public IReadOnlySet<string> Exclude { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>The same settings with <paramref name="exclude"/> (added to nothing: the whole set) kept float.</summary>
    public QuantizationOptions WithExcluded(IEnumerable<string> exclude) => new()
    {
        Mode = Mode,
        Method = Method,
        Percentile = Percentile,
        PerChannel = PerChannel,
        Activations = Activations,
        ReduceRange = ReduceRange,
        WeightOnlyRecurrent = WeightOnlyRecurrent,
        Exclude = new HashSet<string>(exclude, StringComparer.Ordinal),
    };
}
