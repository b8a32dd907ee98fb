using EdgeCompress.Cli.Tests.Support;
using EdgeCompress.Onnx;

namespace EdgeCompress.Cli.Tests;

/// <summary>
/// A pass that cannot do what was asked says why in one line, exits 1 and writes nothing; one that does less than
/// asked says how much it did; errors never reach the user as stack traces.
/// </summary>
public sealed class SilentNoOpTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "edgec-noop-" + Guid.NewGuid().ToString("N"));
    private readonly string _model;

    public SilentNoOpTests() => _model = PruneCliTestModel.Write(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string OutPath => Path.Combine(_dir, "out.onnx");

    [Fact]
    public async Task Channel_pruning_that_would_remove_nothing_exits_1_with_one_line_and_writes_no_model()
    {
        var before = await File.ReadAllBytesAsync(_model);
        var r = await CliRunner.RunAsync("prune", _model, "--out", OutPath, "--channels", "0.01", "--round-to", "8");

        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.StderrLines, l => l.StartsWith("edgec:", StringComparison.Ordinal));
        Assert.Equal("edgec: channel pruning removed nothing from cnn.onnx: ratio 0.01 with round-to 8 keeps every channel of the 2 prunable layer group(s) (the smallest has 16 channels); raise --channels or lower --round-to; no model written", line);
        Assert.False(File.Exists(OutPath));
        Assert.Equal(before, await File.ReadAllBytesAsync(_model));
    }

    [Fact]
    public async Task Unstructured_pruning_that_reaches_less_sparsity_than_asked_says_how_much_and_why()
    {
        var r = await CliRunner.RunAsync("prune", _model, "--out", OutPath, "--sparsity", "0.5", "--unstructured");

        Assert.Equal(0, r.ExitCode);
        // c1 and fc (first and last) stay dense, so half of the weights of c2 alone is less than half of all weights.
        Assert.Matches(@"warning: did less than asked: \d\d\.\d\d% of the [\d,]+ layer weights are zero \(asked 50%\); [\d,]+ weights in layers kept dense \(first/last or --exclude; --all-layers prunes first and last too\)", r.Stderr);
    }

    [Fact]
    public async Task Factorize_that_would_change_no_layer_exits_1_naming_why_and_writes_no_model()
    {
        var r = await CliRunner.RunAsync("factorize", _model, "--out", OutPath, "--rank-energy", "0.99999");

        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.StderrLines, l => l.StartsWith("edgec:", StringComparison.Ordinal));
        Assert.Matches(@"^edgec: factorize changed no layer of .*cnn\.onnx: no layer is worth factorizing \(\dx 'rank .* would keep \d+ % of the weights'.*\); no model written$", line);
        Assert.False(File.Exists(OutPath));
    }

    [Fact]
    public async Task Optimize_on_a_model_with_a_dynamic_non_batch_axis_exits_2_naming_the_input_and_axis_and_leaves_no_folder()
    {
        var model = OnnxModel.Load(_model);
        model.Graph.Proto.Input[0].Type.TensorType.Shape.Dim[3] = new EdgeCompress.Onnx.Protos.TensorShapeProto.Types.Dimension { DimParam = "width" };
        var dynamicModel = Path.Combine(_dir, "dynamic.onnx");
        model.Save(dynamicModel);
        var outDir = Path.Combine(_dir, "opt");

        var r = await CliRunner.RunAsync("optimize", dynamicModel, "--profile", "x64-host", "--data", "synthetic:4", "--out", outDir);

        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.StderrLines, l => l.StartsWith("edgec:", StringComparison.Ordinal));
        Assert.Equal("edgec: synthetic:4: input 'input' [?,1,28,?] has a dynamic axis 3, so synthetic inputs have no size for it; size it with --input-shape input=DIMS, or give data whose tensors fix it", line);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir), "a search that could not measure its baseline leaves no half-made folder");
    }

    [Fact]
    public void The_device_profiles_travel_with_edgec_so_it_finds_them_from_any_folder()
    {
        foreach (var id in new[] { "rpi4", "rpi5", "jetson-nano", "jetson-orin-nano", "x64-host" })
        {
            Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "device-profiles", id + ".json")), $"device-profiles/{id}.json is not beside edgec");
        }
    }
}
