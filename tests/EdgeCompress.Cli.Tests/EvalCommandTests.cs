using System.Text.Json;
using EdgeCompress.Onnx;

namespace EdgeCompress.Cli.Tests;

public sealed class EvalCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgec-eval-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task Eval_json_reports_top1_top5_fidelity_and_latency_against_a_baseline()
    {
        var model = Path.Combine(_dir, "m.onnx");
        QuantizeCliModels.Centroid().Save(model);
        var (code, stdout, stderr) = await QuantizeCommandTests.Edgec("eval", model, "--data", "fashion-mnist:test@300", "--baseline", model, "--json", "--runs", "5");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal(300, root.GetProperty("samples").GetInt32());
        var top1 = root.GetProperty("top1_percent").GetDouble();
        Assert.InRange(top1, 40, 95);
        Assert.Equal(top1, root.GetProperty("baseline_top1_percent").GetDouble());
        Assert.True(root.GetProperty("top5_percent").GetDouble() >= top1);
        Assert.Equal(1.0, root.GetProperty("fidelity_vs_baseline").GetProperty("cosine").GetDouble(), 6);
        Assert.True(root.GetProperty("latency").GetProperty("median_ms").GetDouble() > 0);
        Assert.Contains("timing 5 single-sample runs on 1 thread(s)", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eval_on_an_onnx_test_data_folder_compares_with_the_stored_outputs()
    {
        var dir = "/usr/share/libonnx-testdata/data/pytorch-converted/test_Conv2d";
        var (code, stdout, _) = await QuantizeCommandTests.Edgec("eval", Path.Combine(dir, "model.onnx"), "--data", dir, "--runs", "0");
        Assert.Equal(0, code);
        Assert.Matches(@"expected\s+cosine 1\.00000", stdout);
        Assert.Contains("accuracy  not measured: the data has no labels", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eval_with_data_that_does_not_fit_the_model_is_one_line_exit_2()
    {
        var model = Path.Combine(_dir, "m.onnx");
        QuantizeCliModels.Centroid().Save(model);
        var (code, _, stderr) = await QuantizeCommandTests.Edgec("eval", model, "--data", "/usr/share/libonnx-testdata/data/pytorch-converted/test_Conv2d");
        Assert.Equal(2, code);
        Assert.StartsWith("edgec: ", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));
    }
}
