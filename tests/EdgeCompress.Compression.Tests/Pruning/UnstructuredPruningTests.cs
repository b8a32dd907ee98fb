using EdgeCompress.Compression.Pruning;
using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Tests.Pruning;

public class UnstructuredPruningTests
{
    private static Passes.PassResult Prune(OnnxModel model, double sparsity, bool perLayer = false, bool all = false, string[]? exclude = null) =>
        new UnstructuredPruningPass(new UnstructuredPruningOptions { Sparsity = sparsity, PerLayer = perLayer, IncludeFirstAndLast = all, Exclude = exclude ?? [] }).Apply(model);

    private static double Zeros(OnnxModel m, string tensor)
    {
        var v = TensorData.ToFloats(m.Graph.Initializers[tensor]);
        return v.Count(x => x == 0) / (double)v.Length;
    }

    [Fact]
    public void Per_layer_pruning_brings_every_middle_layer_to_the_sparsity_and_leaves_first_and_last_dense()
    {
        var model = TestModels.Mlp();
        var result = Prune(model, 0.7, perLayer: true);
        Assert.Equal(0, Zeros(result.Model, "fc0_w"));
        Assert.InRange(Zeros(result.Model, "fc1_w"), 0.699, 0.701);
        Assert.Equal(0, Zeros(result.Model, "fc2_w"));
        Assert.Contains(result.Record.Layers, l => l.Node == "fc0" && l.Action == "kept dense: first/last layer");
        Assert.Equal(ChannelPruningTests.RunOnce(model).Dims, ChannelPruningTests.RunOnce(result.Model).Dims);
    }

    [Fact]
    public void Global_pruning_uses_one_magnitude_threshold_for_all_layers()
    {
        var result = Prune(TestModels.Mlp(), 0.5, all: true);
        var surviving = new[] { "fc0_w", "fc1_w", "fc2_w" }.SelectMany(t => TensorData.ToFloats(result.Model.Graph.Initializers[t])).ToArray();
        var smallestKept = surviving.Where(v => v != 0).Min(Math.Abs);
        var original = new[] { "fc0_w", "fc1_w", "fc2_w" }.SelectMany(t => TensorData.ToFloats(TestModels.Mlp().Graph.Initializers[t])).ToArray();
        var largestRemoved = original.Zip(surviving).Where(p => p.Second == 0).Max(p => Math.Abs(p.First));
        Assert.True(largestRemoved <= smallestKept);
        Assert.InRange(surviving.Count(v => v == 0) / (double)surviving.Length, 0.499, 0.501);
    }

    [Fact]
    public void Zeros_make_the_file_compress_better_but_not_smaller_and_the_report_says_it_is_not_faster()
    {
        var model = TestModels.Mlp();
        var result = Prune(model, 0.8, perLayer: true, all: true);
        var t = result.Record.Totals;
        Assert.Equal(t["bytes_before"], t["bytes_after"]);
        Assert.True(t["gzip_bytes_after"] < 0.5 * t["gzip_bytes_before"], $"{t["gzip_bytes_after"]} vs {t["gzip_bytes_before"]}");
        Assert.Contains(UnstructuredPruningPass.SpeedNote, result.Record.Warnings);
    }

    [Fact]
    public void Excluded_layers_stay_dense_and_a_bad_sparsity_is_refused()
    {
        var result = Prune(TestModels.Mlp(), 0.5, all: true, exclude: ["fc1"]);
        Assert.Equal(0, Zeros(result.Model, "fc1_w"));
        var e = Assert.Throws<InputException>(() => Prune(TestModels.Mlp(), 1.0));
        Assert.Equal("--sparsity must be a fraction in (0, 1), got 1", e.Message);
    }
}
