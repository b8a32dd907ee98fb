using System.Runtime.InteropServices;
using EdgeCompress.Onnx.Protos;
using Google.Protobuf;

namespace EdgeCompress.Onnx;

/// <summary>
/// Reads and writes the values of a <see cref="TensorProto"/> whichever way the file stored them (raw_data or
/// the typed repeated fields), as little-endian typed spans. External data must have been resolved by the loader.
/// </summary>
public static class TensorData
{
    /// <summary>The element type of a tensor.</summary>
    public static TensorProto.Types.DataType TypeOf(TensorProto tensor) => (TensorProto.Types.DataType)tensor.DataType;

    /// <summary>Number of elements the dims declare. Throws <see cref="OnnxFormatException"/> on a negative
    /// dimension or a count that overflows 64 bits.</summary>
    public static long ElementCount(TensorProto tensor)
    {
        long count = 1;
        foreach (var d in tensor.Dims)
        {
            if (d < 0)
            {
                throw new OnnxFormatException($"tensor '{tensor.Name}' has a negative dimension ({d})");
            }
            try
            {
                count = checked(count * d);
            }
            catch (OverflowException)
            {
                throw new OnnxFormatException(
                    $"tensor '{tensor.Name}' declares dims [{string.Join(",", tensor.Dims)}], more elements than can exist");
            }
        }
        return count;
    }

    /// <summary>
    /// Checks that the stored values agree with the declared dims and type; throws <see cref="OnnxFormatException"/>
    /// naming the tensor otherwise. Tensors still pointing at external data are checked by the loader instead.
    /// </summary>
    public static void CheckConsistent(TensorProto tensor)
    {
        var count = ElementCount(tensor);
        var type = TypeOf(tensor);
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            return;
        }
        if (tensor.HasRawData)
        {
            var expected = DataTypes.RawByteCount(type, count);
            if (expected >= 0 && tensor.RawData.Length != expected)
            {
                throw new OnnxFormatException(
                    $"tensor '{tensor.Name}': raw_data holds {tensor.RawData.Length} bytes but dims [{string.Join(",", tensor.Dims)}] of {DataTypes.Name(type)} need {expected}");
            }
            return;
        }
        long stored = TypedFieldCount(tensor, type);
        // An empty typed field with no raw_data is how some exporters write an all-default tensor of size 0.
        var perElement = type is TensorProto.Types.DataType.Complex64 or TensorProto.Types.DataType.Complex128 ? 2 : 1;
        if (stored >= 0 && stored != count * perElement && !(stored == 0 && count == 0))
        {
            if (type is TensorProto.Types.DataType.Int4 or TensorProto.Types.DataType.Uint4 or TensorProto.Types.DataType.Float4E2M1
                && stored == (count + 1) / 2)
            {
                return;
            }
            throw new OnnxFormatException(
                $"tensor '{tensor.Name}': holds {stored} values but dims [{string.Join(",", tensor.Dims)}] need {count * perElement}");
        }
    }

    private static long TypedFieldCount(TensorProto t, TensorProto.Types.DataType type) => type switch
    {
        TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Complex64 => t.FloatData.Count,
        TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Complex128 => t.DoubleData.Count,
        TensorProto.Types.DataType.Int64 => t.Int64Data.Count,
        TensorProto.Types.DataType.Uint32 or TensorProto.Types.DataType.Uint64 => t.Uint64Data.Count,
        TensorProto.Types.DataType.String => t.StringData.Count,
        TensorProto.Types.DataType.Undefined => -1,
        _ => t.Int32Data.Count,
    };

    /// <summary>The values as little-endian bytes in raw_data layout, converting from the typed fields if needed.</summary>
    public static byte[] GetRawBytes(TensorProto tensor)
    {
        if (tensor.HasRawData)
        {
            return tensor.RawData.ToByteArray();
        }
        var type = TypeOf(tensor);
        var size = DataTypes.ElementSize(type);
        switch (type)
        {
            case TensorProto.Types.DataType.Float:
            case TensorProto.Types.DataType.Complex64:
                return MemoryMarshal.AsBytes(tensor.FloatData.ToArray().AsSpan()).ToArray();
            case TensorProto.Types.DataType.Double:
            case TensorProto.Types.DataType.Complex128:
                return MemoryMarshal.AsBytes(tensor.DoubleData.ToArray().AsSpan()).ToArray();
            case TensorProto.Types.DataType.Int64:
                return MemoryMarshal.AsBytes(tensor.Int64Data.ToArray().AsSpan()).ToArray();
            case TensorProto.Types.DataType.Uint64:
                return MemoryMarshal.AsBytes(tensor.Uint64Data.ToArray().AsSpan()).ToArray();
            case TensorProto.Types.DataType.Uint32:
                return MemoryMarshal.AsBytes(tensor.Uint64Data.Select(v => (uint)v).ToArray().AsSpan()).ToArray();
            case TensorProto.Types.DataType.Int4:
            case TensorProto.Types.DataType.Uint4:
            case TensorProto.Types.DataType.Float4E2M1:
                return tensor.Int32Data.Select(v => (byte)v).ToArray();
            default:
                if (size == 0)
                {
                    throw new OnnxFormatException($"tensor '{tensor.Name}' of type {DataTypes.Name(type)} has no raw layout");
                }
                // int32_data holds every narrower integer type, float16/bfloat16 bit patterns and float8 codes.
                var bytes = new byte[tensor.Int32Data.Count * size];
                for (var i = 0; i < tensor.Int32Data.Count; i++)
                {
                    var v = tensor.Int32Data[i];
                    for (var b = 0; b < size; b++)
                    {
                        bytes[(i * size) + b] = (byte)(v >> (8 * b));
                    }
                }
                return bytes;
        }
    }

    /// <summary>Copies the values out as <typeparamref name="T"/>, which must match the tensor's element size
    /// (e.g. float for FLOAT, sbyte for INT8, Half for FLOAT16, long for INT64).</summary>
    public static T[] ToArray<T>(TensorProto tensor) where T : unmanaged
    {
        var size = DataTypes.ElementSize(TypeOf(tensor));
        if (size != Marshal.SizeOf<T>())
        {
            throw new InvalidOperationException(
                $"tensor '{tensor.Name}' is {DataTypes.Name(TypeOf(tensor))}; it cannot be read as {typeof(T).Name}");
        }
        if (tensor.HasRawData)
        {
            return MemoryMarshal.Cast<byte, T>(tensor.RawData.Span).ToArray();
        }
        return MemoryMarshal.Cast<byte, T>(GetRawBytes(tensor)).ToArray();
    }

    /// <summary>A read-only view of the values without copying when they are stored as raw_data.</summary>
    public static ReadOnlySpan<T> AsSpan<T>(TensorProto tensor) where T : unmanaged
    {
        if (tensor.HasRawData && DataTypes.ElementSize(TypeOf(tensor)) == Marshal.SizeOf<T>())
        {
            return MemoryMarshal.Cast<byte, T>(tensor.RawData.Span);
        }
        return ToArray<T>(tensor);
    }

    /// <summary>The values converted to float32, for any real numeric type (integers, float16, bfloat16, double).</summary>
    public static float[] ToFloats(TensorProto tensor)
    {
        var type = TypeOf(tensor);
        return type switch
        {
            TensorProto.Types.DataType.Float => ToArray<float>(tensor),
            TensorProto.Types.DataType.Double => Array.ConvertAll(ToArray<double>(tensor), v => (float)v),
            TensorProto.Types.DataType.Float16 => Array.ConvertAll(ToArray<Half>(tensor), v => (float)v),
            TensorProto.Types.DataType.Bfloat16 => Array.ConvertAll(ToArray<ushort>(tensor), v => BitConverter.Int32BitsToSingle(v << 16)),
            TensorProto.Types.DataType.Int8 => Array.ConvertAll(ToArray<sbyte>(tensor), v => (float)v),
            TensorProto.Types.DataType.Uint8 => Array.ConvertAll(ToArray<byte>(tensor), v => (float)v),
            TensorProto.Types.DataType.Int16 => Array.ConvertAll(ToArray<short>(tensor), v => (float)v),
            TensorProto.Types.DataType.Uint16 => Array.ConvertAll(ToArray<ushort>(tensor), v => (float)v),
            TensorProto.Types.DataType.Int32 => Array.ConvertAll(ToArray<int>(tensor), v => (float)v),
            TensorProto.Types.DataType.Int64 => Array.ConvertAll(ToArray<long>(tensor), v => (float)v),
            TensorProto.Types.DataType.Bool => Array.ConvertAll(ToArray<byte>(tensor), v => v != 0 ? 1f : 0f),
            _ => throw new InvalidOperationException($"tensor '{tensor.Name}' of type {DataTypes.Name(type)} is not a real number type"),
        };
    }

    /// <summary>The values of an integer tensor (int8..int64, uint8..uint32) as int64, e.g. for shape inputs.</summary>
    public static long[] ToInt64s(TensorProto tensor)
    {
        var type = TypeOf(tensor);
        return type switch
        {
            TensorProto.Types.DataType.Int64 => ToArray<long>(tensor),
            TensorProto.Types.DataType.Int32 => Array.ConvertAll(ToArray<int>(tensor), v => (long)v),
            TensorProto.Types.DataType.Int16 => Array.ConvertAll(ToArray<short>(tensor), v => (long)v),
            TensorProto.Types.DataType.Int8 => Array.ConvertAll(ToArray<sbyte>(tensor), v => (long)v),
            TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Bool => Array.ConvertAll(ToArray<byte>(tensor), v => (long)v),
            TensorProto.Types.DataType.Uint16 => Array.ConvertAll(ToArray<ushort>(tensor), v => (long)v),
            TensorProto.Types.DataType.Uint32 => Array.ConvertAll(ToArray<uint>(tensor), v => (long)v),
            _ => throw new InvalidOperationException($"tensor '{tensor.Name}' of type {DataTypes.Name(type)} is not an integer type"),
        };
    }

    /// <summary>Creates a tensor stored as raw_data from typed values.</summary>
    public static TensorProto Create<T>(string name, TensorProto.Types.DataType type, ReadOnlySpan<long> dims, ReadOnlySpan<T> values)
        where T : unmanaged
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type };
        tensor.Dims.AddRange(dims.ToArray());
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        CheckConsistent(tensor);
        return tensor;
    }

    /// <summary>Creates a float32 tensor stored as raw_data.</summary>
    public static TensorProto FromFloats(string name, ReadOnlySpan<long> dims, ReadOnlySpan<float> values) =>
        Create(name, TensorProto.Types.DataType.Float, dims, values);

    /// <summary>Creates an int64 tensor stored as raw_data (shapes, axes).</summary>
    public static TensorProto FromInt64s(string name, ReadOnlySpan<long> dims, ReadOnlySpan<long> values) =>
        Create(name, TensorProto.Types.DataType.Int64, dims, values);

    /// <summary>Replaces a tensor's values in place, keeping name and type; the element count must match.</summary>
    public static void SetValues<T>(TensorProto tensor, ReadOnlySpan<long> dims, ReadOnlySpan<T> values) where T : unmanaged
    {
        tensor.Dims.Clear();
        tensor.Dims.AddRange(dims.ToArray());
        tensor.FloatData.Clear();
        tensor.Int32Data.Clear();
        tensor.Int64Data.Clear();
        tensor.DoubleData.Clear();
        tensor.Uint64Data.Clear();
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        CheckConsistent(tensor);
    }

    /// <summary>Bytes the values occupy in memory (raw layout), for parameter-size reports.</summary>
    public static long ByteSize(TensorProto tensor)
    {
        var raw = DataTypes.RawByteCount(TypeOf(tensor), ElementCount(tensor));
        return raw >= 0 ? raw : tensor.StringData.Sum(s => (long)s.Length);
    }
}
