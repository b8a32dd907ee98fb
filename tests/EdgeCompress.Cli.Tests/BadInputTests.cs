using EdgeCompress.Cli.Tests.Support;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using Google.Protobuf;

namespace EdgeCompress.Cli.Tests;

/// <summary>Broken files through the real edgec process: one "edgec: ..." line, exit 2, no stack trace, no hang,
/// nothing written.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static byte[] GoodModel() =>
        new ModelBuilder().Input("x", 1, 3, 8, 8).Weight("w", 4, 3, 3, 3).Node("Conv", ["x", "w"], ["y"]).Output("y").Proto.ToByteArray();

    private async Task<string> AssertRejected(string file, params string[] extra)
    {
        var before = _temp.Snapshot();
        var r = await EdgecProcess.RunAsync(["inspect", file, .. extra]);
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.StderrLines);
        Assert.StartsWith("edgec: ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", r.Stderr, StringComparison.Ordinal);
        Assert.Equal("", r.Stdout);
        Assert.Equal(before, _temp.Snapshot());
        return line;
    }

    [Fact]
    public async Task An_empty_file_is_rejected_as_not_a_model()
    {
        var line = await AssertRejected(_temp.Write("empty.onnx", []));
        Assert.Contains("empty.onnx: file is empty", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_truncated_model_is_rejected_naming_the_file()
    {
        var bytes = GoodModel();
        var line = await AssertRejected(_temp.Write("cut.onnx", bytes[..(bytes.Length / 2)]));
        Assert.Contains("cut.onnx", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Random_bytes_are_rejected()
    {
        var bytes = new byte[4096];
        new Random(1234).NextBytes(bytes);
        var line = await AssertRejected(_temp.Write("noise.onnx", bytes));
        Assert.Contains("noise.onnx", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tensor_protobuf_is_rejected_as_a_different_message()
    {
        var tensor = TensorData.FromFloats("t", [2, 2], [1, 2, 3, 4]).ToByteArray();
        var line = await AssertRejected(_temp.Write("input_0.pb", tensor));
        Assert.Matches("input_0.pb: not (a valid|an) ONNX model", line);
    }

    [Fact]
    public async Task A_raw_data_length_that_disagrees_with_the_shape_names_the_tensor()
    {
        var b = new ModelBuilder().Input("x", 1, 3, 8, 8).Weight("w", 4, 3, 3, 3).Node("Conv", ["x", "w"], ["y"]).Output("y");
        b.Graph.Initializer[0].Dims[0] = 5;
        var line = await AssertRejected(_temp.Write("short.onnx", b.Proto.ToByteArray()));
        Assert.Contains("tensor 'w': raw_data holds 432 bytes but dims [5,3,3,3] of float32 need 540", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_external_data_path_escaping_the_model_folder_is_refused()
    {
        var b = new ModelBuilder().Input("x", 1, 3, 8, 8).Weight("w", 4, 3, 3, 3).Node("Conv", ["x", "w"], ["y"]).Output("y");
        var w = b.Graph.Initializer[0];
        w.ClearRawData();
        w.DataLocation = TensorProto.Types.DataLocation.External;
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "../../etc/passwd" });
        var line = await AssertRejected(_temp.Write("evil.onnx", b.Proto.ToByteArray()));
        Assert.Contains("'../../etc/passwd', which escapes the model folder", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_huge_initializer_dimension_is_refused()
    {
        var b = new ModelBuilder().Input("x", 4).Node("Add", ["x", "w"], ["y"]).Output("y");
        var huge = new TensorProto { Name = "w", DataType = (int)TensorProto.Types.DataType.Float, Dims = { 1L << 31, 1L << 31 }, RawData = ByteString.Empty };
        b.Graph.Initializer.Add(huge);
        var line = await AssertRejected(_temp.Write("huge.onnx", b.Proto.ToByteArray()));
        Assert.Contains("tensor 'w'", line, StringComparison.Ordinal);

        huge.Dims.Add(1L << 40);
        line = await AssertRejected(_temp.Write("huger.onnx", b.Proto.ToByteArray()));
        Assert.Contains("more elements than can exist", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_huge_input_dimension_in_the_model_or_on_the_command_line_is_refused()
    {
        var model = new ModelBuilder().Input("x", 1L << 62, 1L << 62).Node("Relu", ["x"], ["y"]).Output("y").Proto.ToByteArray();
        var line = await AssertRejected(_temp.Write("wide.onnx", model));
        Assert.Contains("input 'x' declares shape 4611686018427387904x4611686018427387904", line, StringComparison.Ordinal);

        var ok = _temp.Write("ok.onnx", GoodModel());
        line = await AssertRejected(ok, "--input-shape", "x=4611686018427387904x3x8x8");
        Assert.Contains("--input-shape 'x=4611686018427387904x3x8x8'", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_file_a_folder_and_a_malformed_input_shape_are_usage_errors()
    {
        var line = await AssertRejected(_temp.PathOf("absent.onnx"));
        Assert.Contains("file not found", line, StringComparison.Ordinal);
        line = await AssertRejected(_temp.Dir.FullName);
        Assert.Contains("is a folder", line, StringComparison.Ordinal);
        var ok = _temp.Write("ok.onnx", GoodModel());
        line = await AssertRejected(ok, "--input-shape", "x=1x3xbig");
        Assert.Contains("dim 'big' is not a positive integer", line, StringComparison.Ordinal);
        line = await AssertRejected(ok, "--input-shape", "nope=1x3x8x8");
        Assert.Contains("'nope'", line, StringComparison.Ordinal);
    }
}
