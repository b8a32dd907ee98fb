using EdgeCompress.Onnx.Protos;
using EdgeCompress.Calibration;

namespace EdgeCompress.Compression.Quantization;


/// <summary>Scale and zero point of an affine quantization: real = scale * (q - zeroPoint).</summary>
/// <param name="Scale">Step between integer levels.</param>
/// <param name="ZeroPoint">Integer that stands for real 0.</param>
public readonly record struct QuantParams(float Scale, int ZeroPoint);

/// <summary>The arithmetic of int8/uint8 quantization: levels, activation parameters, weight quantization.</summary>
public static class QuantMath
{
    /// <summary>Integer limits of an activation type.</summary>
    public static (int Min, int Max) Levels(ActivationType type) => type == ActivationType.S8 ? (-128, 127) : (0, 255);

    /// <summary>The ONNX element type of an activation type.</summary>
    public static TensorProto.Types.DataType OnnxType(ActivationType type) =>
        type == ActivationType.S8 ? TensorProto.Types.DataType.Int8 : TensorProto.Types.DataType.Uint8;

    /// <summary>Asymmetric parameters covering a range widened to include 0, so that 0 (padding, ReLU) is exact.
    /// A range starting at 0 puts the zero point at the lowest level, which makes the Q node act as the ReLU.</summary>
    public static QuantParams ForActivation(FloatRange range, ActivationType type)
    {
        var (qmin, qmax) = Levels(type);
        var lo = Math.Min(range.Min, 0f);
        var hi = Math.Max(range.Max, 0f);
        if (!(hi - lo > 1e-30f) || !float.IsFinite(hi - lo))
        {
            return new QuantParams(1f, Math.Clamp(0, qmin, qmax));
        }
        var scale = (hi - lo) / (qmax - qmin);
        var zp = (int)Math.Round(qmin - (lo / scale));
        return new QuantParams(scale, Math.Clamp(zp, qmin, qmax));
    }

    /// <summary>Quantizes a float weight tensor to symmetric int8 with one scale per slice along
    /// <paramref name="axis"/> (or one scale when axis is null). 7-bit when <paramref name="reduceRange"/>.</summary>
    public static (sbyte[] Values, float[] Scales) QuantizeWeights(float[] values, long[] dims, int? axis, bool reduceRange)
    {
        var qmax = reduceRange ? 63 : 127;
        var channels = axis is { } a ? (int)dims[a] : 1;
        long inner = 1;
        if (axis is { } ax)
        {
            for (var i = ax + 1; i < dims.Length; i++)
            {
                inner *= dims[i];
            }
        }
        else
        {
            inner = values.Length;
        }
        var maxAbs = new float[channels];
        for (long i = 0; i < values.Length; i++)
        {
            var c = (int)((i / inner) % channels);
            maxAbs[c] = Math.Max(maxAbs[c], Math.Abs(values[i]));
        }
        // An all-zero channel gets scale 1 so the bias scale (s_in * s_w) stays usable.
        var scales = maxAbs.Select(m => m > 0 ? m / qmax : 1f).ToArray();
        var q = new sbyte[values.Length];
        for (long i = 0; i < values.Length; i++)
        {
            var c = (int)((i / inner) % channels);
            q[i] = (sbyte)Math.Clamp(Math.Round(values[i] / scales[c]), -qmax, qmax);
        }
        return (q, scales);
    }
}
