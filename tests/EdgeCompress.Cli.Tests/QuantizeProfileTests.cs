using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using static EdgeCompress.Cli.Tests.QuantizeCommandTests;

namespace EdgeCompress.Cli.Tests;

/// <summary>`edgec quantize --profile` (the profile picks the int8 scheme, flags override it, the table says which
/// and why) and `--mode dynamic` on recurrent models.</summary>
public sealed class QuantizeProfileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgec-quantize-profile-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Save(OnnxModel model, string name)
    {
        var path = Path.Combine(_dir, name);
        model.Save(path);
        return path;
    }

    /// <summary>One recurrent layer "rnn" (LSTM or GRU) over x [8,2,32], hidden 64, constant weights.</summary>
    private static OnnxModel Recurrent(string op)
    {
        const int steps = 8, batch = 2, input = 32, hidden = 64;
        var gates = op == "LSTM" ? 4 : 3;
        var r = new Random(5);
        float[] Weights(int n) => Enumerable.Range(0, n).Select(_ => (float)((r.NextDouble() * 2) - 1) / 8).ToArray();
        var g = new GraphProto { Name = op.ToLowerInvariant() };
        g.Input.Add(Value("x", steps, batch, input));
        g.Output.Add(Value("y", steps, 1, batch, hidden));
        g.Initializer.Add(TensorData.FromFloats("W", [1, gates * hidden, input], Weights(gates * hidden * input)));
        g.Initializer.Add(TensorData.FromFloats("R", [1, gates * hidden, hidden], Weights(gates * hidden * hidden)));
        var node = NodeAttributes.Create(op, "rnn", ["x", "W", "R"], ["y"]);
        node.SetInt("hidden_size", hidden);
        g.Node.Add(node);
        var m = new ModelProto { IrVersion = 8, ProducerName = "edgecompress-tests", Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 14 });
        return new OnnxModel(m);
    }

    private static ValueInfoProto Value(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dims.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }));
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } };
    }

    [Fact]
    public async Task X64_host_profile_picks_uint8_activations_and_reduce_range_and_the_table_says_why()
    {
        var input = Save(QuantizeCliModels.Centroid(), "m.onnx");
        var output = Path.Combine(_dir, "q.onnx");
        var (code, stdout, stderr) = await Edgec("quantize", input, "--out", output, "--calibration", "fashion-mnist:train@64", "--profile", "x64-host");
        Assert.True(code == 0, stderr);
        Assert.Contains("activations     uint8 (U8S8): profile x64-host: quantization.scheme U8S8 (x86 without VNNI", stdout, StringComparison.Ordinal);
        Assert.Contains("reduce-range    on (7-bit weights): profile x64-host: quantization.reduceRange true", stdout, StringComparison.Ordinal);
        var q = OnnxModel.Load(output);
        var zp = q.Graph.Nodes.First(n => n.OpType == "QuantizeLinear").Input[2];
        Assert.Equal(TensorProto.Types.DataType.Uint8, TensorData.TypeOf(q.Graph.Initializers[zp]));
    }

    [Fact]
    public async Task Explicit_activation_type_and_reduce_range_flags_override_the_profile()
    {
        var input = Save(QuantizeCliModels.Centroid(), "m.onnx");
        var output = Path.Combine(_dir, "q.onnx");
        var (code, stdout, stderr) = await Edgec("quantize", input, "--out", output, "--calibration", "fashion-mnist:train@64",
            "--profile", "x64-host", "--activation-type", "int8", "--reduce-range", "false");
        Assert.True(code == 0, stderr);
        Assert.Contains("activations     int8 (S8S8): --activation-type int8", stdout, StringComparison.Ordinal);
        Assert.Contains("reduce-range    off (8-bit weights): --reduce-range false", stdout, StringComparison.Ordinal);
        var q = OnnxModel.Load(output);
        var zp = q.Graph.Nodes.First(n => n.OpType == "QuantizeLinear").Input[2];
        Assert.Equal(TensorProto.Types.DataType.Int8, TensorData.TypeOf(q.Graph.Initializers[zp]));
    }

    [Fact]
    public async Task Arm_profile_picks_int8_activations_with_8_bit_weights()
    {
        var input = Save(QuantizeCliModels.Centroid(), "m.onnx");
        var output = Path.Combine(_dir, "q.onnx");
        var (code, stdout, stderr) = await Edgec("quantize", input, "--out", output, "--calibration", "fashion-mnist:train@64", "--profile", "rpi5");
        Assert.True(code == 0, stderr);
        Assert.Contains("activations     int8 (S8S8): profile rpi5: quantization.scheme S8S8", stdout, StringComparison.Ordinal);
        Assert.Contains("reduce-range    off (8-bit weights): profile rpi5: quantization.reduceRange false", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_profile_is_one_line_exit_2_and_no_output_file()
    {
        var input = Save(QuantizeCliModels.Centroid(), "m.onnx");
        var output = Path.Combine(_dir, "q.onnx");
        var (code, stdout, stderr) = await Edgec("quantize", input, "--out", output, "--calibration", "synthetic:4", "--profile", "rpi9");
        Assert.Equal(2, code);
        Assert.StartsWith("edgec: --profile: unknown profile 'rpi9'; known profiles: ", stderr, StringComparison.Ordinal);
        Assert.Contains("x64-host", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Equal("", stdout);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task Dynamic_lstm_becomes_DynamicQuantizeLSTM_at_under_0_3x_the_size_and_close_to_float()
    {
        var input = Save(Recurrent("LSTM"), "lstm.onnx");
        var output = Path.Combine(_dir, "lstm.int8.onnx");
        var (code, stdout, stderr) = await Edgec("quantize", input, "--out", output, "--mode", "dynamic");
        Assert.True(code == 0, stderr);
        Assert.Equal("DynamicQuantizeLSTM", Assert.Single(OnnxModel.Load(output).Graph.Nodes).OpType);
        Assert.Contains("1 quantized, 0 kept float", stdout, StringComparison.Ordinal);
        Assert.Matches(@"output '\w+': \w+: .*cosine (0\.99\d+|1\.00000)", stdout);
        Assert.Contains("activations     uint8 (U8S8): dynamic mode", stdout, StringComparison.Ordinal);
        Assert.True(new FileInfo(output).Length < 0.3 * new FileInfo(input).Length);
    }

    [Fact]
    public async Task Dynamic_gru_alone_exits_1_with_one_line_naming_it_and_the_opt_in_and_writes_nothing()
    {
        var input = Save(Recurrent("GRU"), "gru.onnx");
        var output = Path.Combine(_dir, "gru.int8.onnx");
        var (code, stdout, stderr) = await Edgec("quantize", input, "--out", output, "--mode", "dynamic");
        Assert.True(code == 1, stdout + stderr);
        Assert.Contains("edgec: dynamic quantization found nothing to quantize: it covers MatMul, Gemm and LSTM (GRU/RNN with --weight-only-recurrent), "
            + "and 1 GRU kept float: ONNX Runtime has no int8 kernel for it (--weight-only-recurrent stores its weights int8); nothing written", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task Dynamic_gru_with_weight_only_recurrent_gets_int8_weights_at_under_0_3x_the_size()
    {
        var input = Save(Recurrent("GRU"), "gru.onnx");
        var output = Path.Combine(_dir, "gru.int8.onnx");
        var (code, stdout, stderr) = await Edgec("quantize", input, "--out", output, "--mode", "dynamic", "--weight-only-recurrent");
        Assert.True(code == 0, stderr);
        Assert.Contains("warning: GRU 'rnn': ONNX Runtime has no int8 GRU kernel", stderr, StringComparison.Ordinal);
        Assert.Contains("0 quantized, 1 with int8 weights only (float compute), 0 kept float", stdout, StringComparison.Ordinal);
        Assert.Matches(@"output '\w+': \w+: .*cosine (0\.99\d+|1\.00000)", stdout);
        Assert.Single(OnnxModel.Load(output).Graph.Nodes, n => n.OpType == "GRU");
        Assert.True(new FileInfo(output).Length < 0.3 * new FileInfo(input).Length);
    }
}
