using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;

namespace EdgeCompress.Compression.Tests;

public class ModelRunnerTests
{
    [Fact]
    public void The_small_cnn_runs_a_batch_of_fashion_mnist_shaped_inputs_and_gives_ten_logits_per_row()
    {
        using var runner = ModelRunner.Create(TestModels.SmallCnn(), "small_cnn");
        var sample = DataSpec.Parse("synthetic:4").Open(runner.Inputs, batchSize: 4).Single();
        var output = runner.Run(sample).Single();
        Assert.Equal(new long[] { 4, 10 }, output.Dims);
        Assert.All(output.Values, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Extra_outputs_expose_intermediate_tensors_for_calibration()
    {
        using var runner = ModelRunner.Create(TestModels.SmallCnn(), "small_cnn", new RunnerOptions { ExtraOutputs = ["c1_relu"] });
        var sample = DataSpec.Parse("synthetic:1").Open(runner.Inputs).Single();
        var outputs = runner.Run(sample);
        var c1 = Assert.Single(outputs, o => o.Name == "c1_relu");
        Assert.Equal(new long[] { 1, 16, 28, 28 }, c1.Dims);
        Assert.All(c1.Values, v => Assert.True(v >= 0));
    }
}
