using EdgeCompress.Compression.Passes;
using EdgeCompress.Compression.Pruning;
using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Tests.Pruning;

/// <summary>The Conv models of the libonnx-testdata package (exported by PyTorch and the ONNX node tests):
/// old-style initializers listed as inputs, Conv1d/2d/3d, groups, dilations, no bias.</summary>
public class ConformanceModelTests
{
    private const string Root = "/usr/share/libonnx-testdata/data";

    public static TheoryData<string> ConvModels()
    {
        var data = new TheoryData<string>();
        foreach (var dir in new[] { "pytorch-converted", "pytorch-operator", "node" })
        {
            var folder = Path.Combine(Root, dir);
            if (!Directory.Exists(folder))
            {
                continue;
            }
            foreach (var d in Directory.GetDirectories(folder).Where(d => Path.GetFileName(d).Contains("conv", StringComparison.OrdinalIgnoreCase)
                && !Path.GetFileName(d).Contains("integer", StringComparison.OrdinalIgnoreCase) && !Path.GetFileName(d).Contains("qlinear", StringComparison.Ordinal)).Order())
            {
                data.Add(Path.Combine(dir, Path.GetFileName(d)));
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ConvModels))]
    public void Pruning_30_percent_of_a_conformance_conv_model_runs_and_keeps_its_output_shape(string name)
    {
        var model = OnnxModel.Load(Path.Combine(Root, name, "model.onnx"));
        PassResult result;
        try
        {
            result = new ChannelPruningPass(new ChannelPruningOptions { Ratio = 0.3 }).Apply(model);
        }
        catch (WorkFailedException refused)
        {
            // A single-layer model's channels are its output (or grouped, or depthwise on the input): the pass must
            // refuse and say why rather than return the model unchanged.
            Assert.Matches(@"^channel pruning removed nothing from model\.onnx: (none of its \d+ layer groups can be pruned \(\d+x '.+'\)|it has no Conv, ConvTranspose, Gemm or MatMul layer with output channels); no model written$", refused.Message);
            return;
        }
        Assert.Equal(ChannelPruningTests.RunOnce(model, 1).Dims, ChannelPruningTests.RunOnce(result.Model, 1).Dims);
        Assert.All(result.Record.Layers, l => Assert.StartsWith("pruned ", l.Action, StringComparison.Ordinal));
        Assert.NotEmpty(result.Record.Layers);
    }
}
