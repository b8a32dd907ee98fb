using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeCompress.Runtime;

/// <summary>Reads any numeric or bool tensor as float32: what output comparisons (the quality guard on the host,
/// bench --data's outputs on a device) measure.</summary>
public static class TensorFloats
{
    /// <summary>The tensor's values widened to float32, or null for types that have no float reading (strings...).</summary>
    public static float[]? Of(OrtValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.IsTensor ? Of(value, value.GetTensorTypeAndShape().ElementDataType) : null;
    }

    private static float[]? Of(OrtValue value, TensorElementType type) => type switch
    {
        TensorElementType.Float => value.GetTensorDataAsSpan<float>().ToArray(),
        TensorElementType.Float16 => Widen(value.GetTensorDataAsSpan<Float16>(), v => (float)v),
        TensorElementType.BFloat16 => Widen(value.GetTensorDataAsSpan<BFloat16>(), v => (float)v),
        TensorElementType.Double => Widen(value.GetTensorDataAsSpan<double>(), v => (float)v),
        TensorElementType.Int64 => Widen(value.GetTensorDataAsSpan<long>(), v => (float)v),
        TensorElementType.Int32 => Widen(value.GetTensorDataAsSpan<int>(), v => (float)v),
        TensorElementType.Int16 => Widen(value.GetTensorDataAsSpan<short>(), v => (float)v),
        TensorElementType.UInt16 => Widen(value.GetTensorDataAsSpan<ushort>(), v => (float)v),
        TensorElementType.Int8 => Widen(value.GetTensorDataAsSpan<sbyte>(), v => (float)v),
        TensorElementType.UInt8 => Widen(value.GetTensorDataAsSpan<byte>(), v => (float)v),
        TensorElementType.Bool => Widen(value.GetTensorDataAsSpan<bool>(), v => v ? 1f : 0f),
        _ => null,
    };

    private static float[] Widen<T>(ReadOnlySpan<T> values, Func<T, float> widen)
    {
        var floats = new float[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            floats[i] = widen(values[i]);
        }

        return floats;
    }
}
