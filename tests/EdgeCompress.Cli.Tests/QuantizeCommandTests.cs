using EdgeCompress.Onnx;

namespace EdgeCompress.Cli.Tests;

public sealed class QuantizeCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgec-quantize-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    internal static async Task<(int Code, string Out, string Err)> Edgec(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await EdgecApp.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private string Save(OnnxModel model, string name)
    {
        var path = Path.Combine(_dir, name);
        model.Save(path);
        return path;
    }

    [Fact]
    public async Task Quantize_static_writes_a_quarter_size_model_and_ends_with_the_size_fidelity_accuracy_table()
    {
        var input = Save(QuantizeCliModels.Centroid(), "centroid.onnx");
        var output = Path.Combine(_dir, "centroid.int8.onnx");
        // --no-speed-check: a 31 KB model is too small for int8 to pay on this host, and the speed check would keep
        // layers float (ZooTests hold the speed check on real architectures).
        var (code, stdout, stderr) = await Edgec("quantize", input, "--out", output, "--calibration", "fashion-mnist:train@256", "--eval-data", "fashion-mnist:test@500", "--no-speed-check");
        Assert.True(code == 0, stderr);
        Assert.Contains("size ", stdout, StringComparison.Ordinal);
        Assert.Contains("2 quantized", stdout, StringComparison.Ordinal);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(stdout, @"output 'logits': logits: top-1 agrees \d+\.\d%, cosine (0\.99\d+|1\.00000)"), stdout);
        Assert.Matches(@"top-1 accuracy \d+\.\d\d% -> \d+\.\d\d% \([+-]?\d+\.\d\d pt\)", stdout);
        Assert.Contains("guard: pass by top-1 accuracy", stdout, StringComparison.Ordinal);
        // A 31 KB model carries ~2 KB of Q/DQ nodes and scales; the 0.27x bar is checked on a real-size model.
        Assert.True(new FileInfo(output).Length <= 0.33 * new FileInfo(input).Length);
        Assert.Contains("QuantizeLinear", OnnxModel.Load(output).Graph.Nodes.Select(n => n.OpType));
    }

    [Fact]
    public async Task Accuracy_budget_keeps_the_layer_that_ruins_accuracy_in_float_and_holds()
    {
        var input = Save(QuantizeCliModels.Centroid(offset: 5000), "offset.onnx");
        var output = Path.Combine(_dir, "offset.int8.onnx");
        var (code, stdout, stderr) = await Edgec("quantize", input, "--out", output, "--calibration", "fashion-mnist:train@256",
            "--eval-data", "fashion-mnist:test@500", "--accuracy-budget", "1");
        Assert.True(code == 0, stdout + stderr);
        Assert.True(stdout.Contains("budget          held: 1 most sensitive layer(s) kept float: offset_add", StringComparison.Ordinal), stdout + stderr);
        var add = OnnxModel.Load(output).Graph.Nodes.Single(n => n.OpType == "Add");
        Assert.Equal("logits", add.Output[0]);
    }

    [Fact]
    public async Task Accuracy_budget_that_cannot_hold_exits_1_with_the_reason_and_writes_nothing()
    {
        var input = Save(QuantizeCliModels.Centroid(offset: 5000), "offset.onnx");
        var output = Path.Combine(_dir, "offset.int8.onnx");
        var (code, stdout, stderr) = await Edgec("quantize", input, "--out", output, "--calibration", "fashion-mnist:train@256",
            "--eval-data", "fashion-mnist:test@500", "--accuracy-budget", "1", "--exclude", "fc", "scale", "offset_fc");
        Assert.True(code == 1, stdout + stderr);
        Assert.Contains("budget          MISSED", stdout, StringComparison.Ordinal);
        Assert.Contains("edgec: quality budget missed: with up to", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task Unknown_exclude_name_is_one_line_exit_2_and_no_output_file()
    {
        var input = Save(QuantizeCliModels.Centroid(), "m.onnx");
        var output = Path.Combine(_dir, "out.onnx");
        var (code, _, stderr) = await Edgec("quantize", input, "--out", output, "--calibration", "synthetic:4", "--exclude", "conv_99");
        Assert.Equal(2, code);
        Assert.StartsWith("edgec: --exclude 'conv_99': no node of that name in m.onnx", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task Already_quantized_model_is_refused_with_exit_2_and_no_output_file()
    {
        var input = Save(QuantizeCliModels.Centroid(), "m.onnx");
        var once = Path.Combine(_dir, "once.onnx");
        Assert.Equal(0, (await Edgec("quantize", input, "--out", once, "--calibration", "fashion-mnist:train@64")).Code);
        var twice = Path.Combine(_dir, "twice.onnx");
        var (code, _, stderr) = await Edgec("quantize", once, "--out", twice, "--calibration", "fashion-mnist:train@64");
        Assert.Equal(2, code);
        Assert.Contains("already quantized", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(twice));
    }

    [Fact]
    public async Task Calibration_data_that_does_not_fit_the_model_shape_is_exit_2_naming_the_input()
    {
        var input = "/usr/share/libonnx-testdata/data/pytorch-converted/test_Conv2d/model.onnx";
        var output = Path.Combine(_dir, "out.onnx");
        var (code, _, stderr) = await Edgec("quantize", input, "--out", output, "--calibration", "fashion-mnist:train@16");
        Assert.Equal(2, code);
        Assert.StartsWith("edgec: data spec 'fashion-mnist:train@16': gives Nx1x28x28 float images, but model input", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task Unreadable_calibration_tensor_is_exit_2_naming_the_file_and_no_output()
    {
        var input = Save(QuantizeCliModels.Centroid(), "m.onnx");
        var set = Directory.CreateDirectory(Path.Combine(_dir, "data", "test_data_set_0")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(set, "input_0.pb"), [0xff, 0xff, 0xff, 0x01, 0x02]);
        var output = Path.Combine(_dir, "out.onnx");
        var (code, _, stderr) = await Edgec("quantize", input, "--out", output, "--calibration", Path.Combine(_dir, "data"));
        Assert.Equal(2, code);
        Assert.Contains("input_0.pb: not a readable TensorProto", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task Output_path_equal_to_the_input_is_refused_and_the_input_is_untouched()
    {
        var input = Save(QuantizeCliModels.Centroid(), "m.onnx");
        var before = await File.ReadAllBytesAsync(input);
        var (code, _, stderr) = await Edgec("quantize", input, "--out", input, "--calibration", "synthetic:4");
        Assert.Equal(2, code);
        Assert.Contains("--out is the input model", stderr, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(input));
    }

    [Fact]
    public async Task Synthetic_calibration_works_with_a_warning_that_accuracy_cannot_be_judged()
    {
        var input = Save(QuantizeCliModels.Centroid(), "m.onnx");
        var output = Path.Combine(_dir, "out.onnx");
        var (code, stdout, stderr) = await Edgec("quantize", input, "--out", output, "--calibration", "synthetic:8");
        Assert.Equal(0, code);
        Assert.Contains("warning: calibrating on synthetic (random) inputs", stderr, StringComparison.Ordinal);
        Assert.Contains("quality vs the original on synthetic:8, 8 samples (random inputs: shows how far outputs moved, not accuracy)", stdout, StringComparison.Ordinal);
    }
}
