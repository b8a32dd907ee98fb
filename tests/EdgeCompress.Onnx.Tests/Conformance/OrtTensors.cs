using EdgeCompress.Onnx.Protos;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using DT = EdgeCompress.Onnx.Protos.TensorProto.Types.DataType;

namespace EdgeCompress.Onnx.Tests.Conformance;

/// <summary>Moves test-data TensorProtos into ONNX Runtime values and compares ORT outputs with stored ones.</summary>
internal static class OrtTensors
{
    public static OrtValue ToOrtValue(TensorProto tensor)
    {
        var shape = tensor.Dims.ToArray();
        var type = TensorData.TypeOf(tensor);
        if (type == DT.String)
        {
            var value = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, shape);
            for (var i = 0; i < tensor.StringData.Count; i++)
            {
                value.StringTensorSetElementAt(tensor.StringData[i].Span, i);
            }
            return value;
        }
        var bytes = TensorData.GetRawBytes(tensor);
        var ort = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, (TensorElementType)(int)type, shape);
        bytes.AsSpan().CopyTo(ort.GetTensorMutableRawData());
        return ort;
    }

    /// <summary>Null when equal within tolerance, otherwise what differs.</summary>
    public static string? Compare(TensorProto expected, OrtValue actual)
    {
        var info = actual.GetTensorTypeAndShape();
        var shape = info.Shape;
        if (!shape.SequenceEqual(expected.Dims))
        {
            return $"shape [{string.Join(",", shape)}] vs expected [{string.Join(",", expected.Dims)}]";
        }
        var type = TensorData.TypeOf(expected);
        if (type == DT.Uint16 && info.ElementDataType == TensorElementType.BFloat16)
        {
            // Old test data stores bfloat16 results as uint16 (numpy has no bfloat16): compare the bit patterns.
            type = DT.Bfloat16;
        }
        else if ((int)info.ElementDataType != (int)type)
        {
            return $"type {info.ElementDataType} vs expected {DataTypes.Name(type)}";
        }
        if (type == DT.String)
        {
            var got = actual.GetStringTensorAsArray();
            return got.SequenceEqual(expected.StringData.Select(s => s.ToStringUtf8())) ? null : "string values differ";
        }
        var want = ToDoubles(type, TensorData.GetRawBytes(expected));
        var have = ToDoubles(type, actual.GetTensorMutableRawData().ToArray());
        if (want is null || have is null)
        {
            return actual.GetTensorMutableRawData().SequenceEqual(TensorData.GetRawBytes(expected)) ? null : "bytes differ";
        }
        var (rtol, atol) = type is DT.Float16 or DT.Bfloat16 ? (1e-2, 1e-3) : (1e-3, 1e-5);
        for (var i = 0; i < want.Length; i++)
        {
            var (w, h) = (want[i], have[i]);
            if (double.IsNaN(w) && double.IsNaN(h))
            {
                continue;
            }
            if (w == h)
            {
                continue;
            }
            if (!(Math.Abs(w - h) <= atol + (rtol * Math.Abs(w))))
            {
                return $"element {i}: {h} vs expected {w}";
            }
        }
        return null;
    }

    private static double[]? ToDoubles(DT type, byte[] raw)
    {
        var t = new TensorProto { DataType = (int)type, RawData = Google.Protobuf.ByteString.CopyFrom(raw) };
        return type switch
        {
            DT.Float => Array.ConvertAll(TensorData.ToArray<float>(t), v => (double)v),
            DT.Double => TensorData.ToArray<double>(t),
            DT.Float16 => Array.ConvertAll(TensorData.ToArray<Half>(t), v => (double)v),
            DT.Bfloat16 => Array.ConvertAll(TensorData.ToArray<ushort>(t), v => (double)BitConverter.Int32BitsToSingle(v << 16)),
            DT.Int64 => Array.ConvertAll(TensorData.ToArray<long>(t), v => (double)v),
            DT.Int32 => Array.ConvertAll(TensorData.ToArray<int>(t), v => (double)v),
            DT.Int16 => Array.ConvertAll(TensorData.ToArray<short>(t), v => (double)v),
            DT.Int8 => Array.ConvertAll(TensorData.ToArray<sbyte>(t), v => (double)v),
            DT.Uint8 or DT.Bool => Array.ConvertAll(TensorData.ToArray<byte>(t), v => (double)v),
            DT.Uint16 => Array.ConvertAll(TensorData.ToArray<ushort>(t), v => (double)v),
            DT.Uint32 => Array.ConvertAll(TensorData.ToArray<uint>(t), v => (double)v),
            DT.Uint64 => Array.ConvertAll(TensorData.ToArray<ulong>(t), v => (double)v),
            _ => null,
        };
    }
}
