using EdgeCompress.Onnx;

namespace EdgeCompress.Cli.Tests;

public sealed class PruneCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "edgec-prune-" + Guid.NewGuid().ToString("N"));
    private readonly string _model;

    public PruneCommandTests() => _model = PruneCliTestModel.Write(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await EdgecApp.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private string OutPath => Path.Combine(_dir, "out.onnx");

    [Fact]
    public async Task Pruning_half_the_channels_writes_a_smaller_model_and_reports_params_and_macs()
    {
        var inputBytes = await File.ReadAllBytesAsync(_model);
        var (code, stdout, stderr) = await Run("prune", _model, "--out", OutPath, "--channels", "0.5");
        Assert.Equal(0, code);
        Assert.Matches(@"c2 +Conv +4,640 -> 1,168 +pruned 16/32 channels", stdout);
        Assert.Matches(@"params [\d,]+ -> [\d,]+ \(0\.2\dx\); MACs [\d,]+ -> [\d,]+ \(0\.2\dx\)", stdout);
        Assert.Contains("warning: layer fc not pruned: its channels are model output 'logits'", stderr, StringComparison.Ordinal);
        Assert.True(new FileInfo(OutPath).Length < 0.35 * inputBytes.Length);
        Assert.Equal(inputBytes, await File.ReadAllBytesAsync(_model));
        Assert.Equal(8, OnnxModel.Load(OutPath).Graph.Initializers["c1_w"].Dims[0]);
    }

    [Fact]
    public async Task A_tail_ratio_prunes_the_smallest_feature_maps_less_and_the_table_shows_it()
    {
        var (code, stdout, stderr) = await Run("prune", _model, "--out", OutPath, "--channels", "0.5", "--tail-ratio", "0.25", "--layer-ratio", "c1=0.75", "--round-to", "1");
        Assert.True(code == 0, stderr);
        Assert.Matches(@"c1 +Conv +\S+ -> \S+ +pruned 12/16 channels", stdout);
        Assert.Matches(@"c2 +Conv +\S+ -> \S+ +pruned 8/32 channels", stdout);
        Assert.Equal(4, OnnxModel.Load(OutPath).Graph.Initializers["c1_w"].Dims[0]);
    }

    [Fact]
    public async Task Unstructured_pruning_reports_sparsity_the_gzip_saving_and_that_it_is_not_faster()
    {
        var (code, stdout, _) = await Run("prune", _model, "--out", OutPath, "--sparsity", "0.6", "--unstructured", "--all-layers");
        Assert.Equal(0, code);
        Assert.Matches(@"weights: 60\.\d\d% zero; file [\d.]+ KiB -> [\d.]+ KiB; gzip-compressed [\d.]+ KiB -> [\d.]+ KiB \(0\.\d\dx\)", stdout);
        Assert.Contains("do not skip zeros", stdout, StringComparison.Ordinal);
        var w = TensorData.ToFloats(OnnxModel.Load(OutPath).Graph.Initializers["c2_w"]);
        Assert.InRange(w.Count(v => v == 0) / (double)w.Length, 0.5, 0.7);
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("0")]
    public async Task A_ratio_outside_zero_to_one_exits_2_with_one_line_and_no_output_file(string ratio)
    {
        var (code, _, stderr) = await Run("prune", _model, "--out", OutPath, "--channels", ratio);
        Assert.Equal(2, code);
        Assert.Equal($"edgec: --channels must be a fraction in (0, 1), got {ratio}", stderr.Trim());
        Assert.False(File.Exists(OutPath));
    }

    [Fact]
    public async Task Asking_to_prune_the_output_layer_exits_2_naming_it()
    {
        var (code, _, stderr) = await Run("prune", _model, "--out", OutPath, "--channels", "0.3", "--only", "fc");
        Assert.Equal(2, code);
        Assert.Equal("edgec: layer fc cannot be pruned: its channels are model output 'logits'", stderr.Trim());
        Assert.False(File.Exists(OutPath));
    }

    [Theory]
    [InlineData("--channels 0.3 --sparsity 0.3 --unstructured", "say how to prune")]
    [InlineData("--sparsity 0.3", "--sparsity needs --unstructured")]
    [InlineData("--channels 0.3 --global --uniform", "--global and --uniform exclude each other")]
    [InlineData("--channels 0.3 --importance magic", "--importance: 'magic' is not one of l1, l2, bn-scale, taylor")]
    [InlineData("--channels 0.3 --importance taylor", "--importance taylor needs --calibration SPEC")]
    [InlineData("--channels 0.3 --exclude nope", "--exclude: the model has no node named 'nope'")]
    [InlineData("--sparsity 0.3 --unstructured --tail-ratio 0.2", "--tail-ratio and --layer-ratio apply to structured pruning")]
    [InlineData("--channels 0.3 --layer-ratio c1", "--layer-ratio c1: expected NODE=RATIO")]
    [InlineData("--channels 0.3 --layer-ratio c9=0.5", "--layer-ratio: the model has no node named 'c9'")]
    [InlineData("--channels 0.3 --global --tail-ratio 0.1", "--tail-ratio and --layer-ratio set ratios per layer, which --global ranking decides itself")]
    public async Task Contradictory_or_incomplete_options_exit_2_with_a_clear_line(string options, string expected)
    {
        var (code, _, stderr) = await Run(["prune", _model, "--out", OutPath, .. options.Split(' ')]);
        Assert.Equal(2, code);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(File.Exists(OutPath));
    }

    [Fact]
    public async Task The_output_may_not_be_the_input()
    {
        var before = await File.ReadAllBytesAsync(_model);
        var (code, _, stderr) = await Run("prune", _model, "--out", _model, "--channels", "0.3");
        Assert.Equal(2, code);
        Assert.Contains("refusing to overwrite the input model", stderr, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(_model));
    }

    [Fact]
    public async Task Finetune_distils_from_the_unpruned_model_keeping_the_pruned_graph()
    {
        var plain = Path.Combine(_dir, "plain.onnx");
        Assert.Equal(0, (await Run("prune", _model, "--out", plain, "--channels", "0.3")).Code);
        var (code, _, stderr) = await Run("prune", _model, "--out", OutPath, "--channels", "0.3", "--finetune", "synthetic:8");
        Assert.True(code == 0, stderr);
        Assert.DoesNotContain("accuracy was not recovered", stderr, StringComparison.Ordinal);
        Assert.Contains("prune: fine-tune", stderr, StringComparison.Ordinal);
        Support.FineTuneAssert.SameGraphNewWeights(plain, OutPath);
    }

    [Fact]
    public async Task A_sweep_prints_one_row_per_ratio_with_params_macs_and_fidelity()
    {
        var (code, stdout, _) = await Run("prune", _model, "--channels", "0.5", "--sweep", "0.1:0.5:0.2", "--eval", "synthetic:8", "--round-to", "1");
        Assert.Equal(0, code);
        var rows = stdout.Split('\n').Where(l => l.Length > 4 && char.IsDigit(l[0])).ToList();
        Assert.Equal(["0.00", "0.10", "0.30", "0.50"], rows.Select(r => r[..4]));
        Assert.Contains("(no fine-tuning", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eval_on_labelled_data_prints_accuracy_before_and_after_and_bench_prints_latency_medians()
    {
        var (code, stdout, _) = await Run("prune", _model, "--out", OutPath, "--channels", "0.5", "--eval", "fashion-mnist:test@64", "--bench");
        Assert.Equal(0, code);
        Assert.Matches(@"quality vs the original on fashion-mnist:test@64, 64 samples:", stdout);
        Assert.Matches(@"top-1 accuracy \d+\.\d\d% -> \d+\.\d\d% \([+-]?\d+\.\d\d pt\)", stdout);
        Assert.Matches(@"latency \(1 thread, batch 1, median of 300\): \d+\.\d{3} ms -> \d+\.\d{3} ms \(\d+\.\d\dx faster\)", stdout);
    }
}
