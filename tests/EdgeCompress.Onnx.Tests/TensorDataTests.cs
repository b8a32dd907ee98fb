using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Onnx.Tests;

public class TensorDataTests
{
    [Fact]
    public void A_raw_data_length_that_disagrees_with_the_dims_is_reported_with_the_tensor_name()
    {
        var t = TensorData.FromFloats("w", [2, 2], [1f, 2f, 3f, 4f]);
        t.Dims[1] = 3;
        var e = Assert.Throws<OnnxFormatException>(() => TensorData.CheckConsistent(t));
        Assert.Contains("'w'", e.Message, StringComparison.Ordinal);
        Assert.Contains("need 24", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Typed_int32_storage_of_int8_values_reads_back_as_sbytes()
    {
        var t = new TensorProto { Name = "q", DataType = (int)TensorProto.Types.DataType.Int8 };
        t.Dims.Add(3);
        t.Int32Data.AddRange([-128, 0, 127]);
        Assert.Equal(new sbyte[] { -128, 0, 127 }, TensorData.ToArray<sbyte>(t));
    }
}
