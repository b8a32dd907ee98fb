using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Onnx;

/// <summary>Facts about ONNX tensor element types: their names and storage sizes.</summary>
public static class DataTypes
{
    /// <summary>Size in bytes of one element as stored in raw_data, or 0 for types with no fixed size
    /// (strings) and for sub-byte types (int4, uint4, float4), which are packed two to a byte.</summary>
    public static int ElementSize(TensorProto.Types.DataType type) => type switch
    {
        TensorProto.Types.DataType.Float => 4,
        TensorProto.Types.DataType.Uint8 => 1,
        TensorProto.Types.DataType.Int8 => 1,
        TensorProto.Types.DataType.Uint16 => 2,
        TensorProto.Types.DataType.Int16 => 2,
        TensorProto.Types.DataType.Int32 => 4,
        TensorProto.Types.DataType.Int64 => 8,
        TensorProto.Types.DataType.Bool => 1,
        TensorProto.Types.DataType.Float16 => 2,
        TensorProto.Types.DataType.Double => 8,
        TensorProto.Types.DataType.Uint32 => 4,
        TensorProto.Types.DataType.Uint64 => 8,
        TensorProto.Types.DataType.Complex64 => 8,
        TensorProto.Types.DataType.Complex128 => 16,
        TensorProto.Types.DataType.Bfloat16 => 2,
        TensorProto.Types.DataType.Float8E4M3Fn or TensorProto.Types.DataType.Float8E4M3Fnuz
            or TensorProto.Types.DataType.Float8E5M2 or TensorProto.Types.DataType.Float8E5M2Fnuz
            or TensorProto.Types.DataType.Float8E8M0 => 1,
        _ => 0,
    };

    /// <summary>Bytes needed to hold <paramref name="count"/> elements in raw_data, including the packed
    /// sub-byte types; -1 when the type has no fixed-size encoding.</summary>
    public static long RawByteCount(TensorProto.Types.DataType type, long count) => type switch
    {
        TensorProto.Types.DataType.Int4 or TensorProto.Types.DataType.Uint4
            or TensorProto.Types.DataType.Float4E2M1 => (count + 1) / 2,
        // Saturates rather than wrapping, so absurd dims never look like they match a short raw_data.
        _ when ElementSize(type) > 0 => SafeMath.Multiply(count, ElementSize(type)),
        _ => -1,
    };

    /// <summary>The lower-case name ONNX tools print for a type, e.g. "float32", "int8".</summary>
    public static string Name(TensorProto.Types.DataType type) => type switch
    {
        TensorProto.Types.DataType.Float => "float32",
        TensorProto.Types.DataType.Float16 => "float16",
        TensorProto.Types.DataType.Bfloat16 => "bfloat16",
        TensorProto.Types.DataType.Double => "float64",
        TensorProto.Types.DataType.Undefined => "undefined",
        _ => type.ToString().ToLowerInvariant(),
    };

    /// <summary>The name for a raw data_type field value as stored in the file.</summary>
    public static string Name(int dataType) =>
        Enum.IsDefined(typeof(TensorProto.Types.DataType), dataType)
            ? Name((TensorProto.Types.DataType)dataType)
            : $"unknown({dataType})";
}
