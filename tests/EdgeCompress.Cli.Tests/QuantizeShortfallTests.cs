using EdgeCompress.Onnx;

namespace EdgeCompress.Cli.Tests;

public sealed class QuantizeShortfallTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgec-quantize-shortfall-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Save(OnnxModel model, string name)
    {
        var path = Path.Combine(_dir, name);
        model.Save(path);
        return path;
    }

    [Fact]
    public async Task Dynamic_mode_on_a_conv_only_model_exits_1_with_one_line_saying_why_and_writes_nothing()
    {
        var input = Save(QuantizeCliModels.ConvOnly(), "convs.onnx");
        var output = Path.Combine(_dir, "convs.int8.onnx");
        var (code, stdout, stderr) = await QuantizeCommandTests.Edgec("quantize", input, "--out", output, "--mode", "dynamic");
        Assert.True(code == 1, stdout + stderr);
        Assert.Equal("edgec: dynamic quantization found nothing to quantize: it covers MatMul, Gemm and LSTM (GRU/RNN with "
            + "--weight-only-recurrent), and this model's 3 Conv nodes need --mode static; nothing written",
            stderr.Trim().Split('\n').Single(l => l.StartsWith("edgec:", StringComparison.Ordinal)));
        Assert.Empty(stdout);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task Output_larger_than_its_input_is_written_with_a_warning_stating_both_sizes()
    {
        var input = Save(QuantizeCliModels.TinyMatMul(), "tiny.onnx");
        var output = Path.Combine(_dir, "tiny.int8.onnx");
        var (code, stdout, stderr) = await QuantizeCommandTests.Edgec("quantize", input, "--out", output, "--mode", "dynamic");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("1 quantized", stdout, StringComparison.Ordinal);
        Assert.Matches(@"warning: tiny\.int8\.onnx is larger than its input: \d+\.\d KB -> \d+\.\d KB \(\d+\.\d\dx\)", stderr);
        Assert.True(new FileInfo(output).Length > new FileInfo(input).Length);
    }

    [Theory]
    [InlineData(null, "per-channel", "opset 11 -> 13 so per-channel weights are allowed")]
    [InlineData("tf_half_pixel_for_nn", "per-tensor", "per-tensor weights: opset 11 model has Resize node 'upsample' (coordinate_transformation_mode "
        + "tf_half_pixel_for_nn was removed at opset 13), which cannot be lifted to opset 13, where per-channel weights start")]
    public async Task Static_int8_of_an_opset_11_model_says_in_one_line_whether_it_was_lifted_for_per_channel_weights(string? resizeMode, string weights, string line)
    {
        var input = Save(QuantizeCliModels.ConvOnly(11, resizeMode), "convs11.onnx");
        var output = Path.Combine(_dir, "convs11.int8.onnx");
        var (code, stdout, stderr) = await QuantizeCommandTests.Edgec("quantize", input, "--out", output, "--calibration", "synthetic:8");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains($"  mode            static QDQ, weights int8 {weights}", stdout, StringComparison.Ordinal);
        Assert.Contains($"  opset           {line}\n", stdout.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.All(OnnxModel.Load(output).Graph.Nodes.Where(n => n.OpType is "QuantizeLinear" or "DequantizeLinear"), n => Assert.Equal("", n.Domain));
    }
}
