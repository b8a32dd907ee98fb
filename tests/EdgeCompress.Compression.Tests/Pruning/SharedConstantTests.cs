using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Tests.Pruning;

/// <summary>
/// PyTorch's exporter stores bit-identical parameters once: the zero biases of freshly initialised layers become
/// one initializer, read directly by one Conv and through Identity nodes by the others. Pruning refused every such
/// layer as "weights shared with another node" (all of SqueezeNet, MobileNetV3's squeeze-excite blocks).
/// </summary>
public class SharedConstantTests
{
    /// <summary>The residual test net with every Conv bias replaced by one zero tensor, reached as torch writes it.</summary>
    private static OnnxModel WithMergedZeroBiases()
    {
        var model = PruningTestModels.ResNet(withBn: false, zero: 0.25);
        var graph = model.Graph;
        var first = true;
        foreach (var conv in graph.Nodes.Where(n => n.OpType == "Conv" && n.Input.Count == 3 && n.Name != "shortcut" && n.Name != "down_a").ToList())
        {
            var bias = graph.Proto.Initializer.Single(t => t.Name == conv.Input[2]);
            if (first)
            {
                graph.SetInitializer(TensorData.FromFloats("zero_bias_16", [16], new float[16]));
                first = false;
            }
            graph.RemoveInitializer(bias.Name);
            if (bias.Dims[0] != 16)
            {
                graph.SetInitializer(TensorData.FromFloats(bias.Name, [.. bias.Dims], new float[bias.Dims[0]]));
                continue;
            }
            if (conv.Name == "stem")
            {
                graph.SetInput(conv, 2, "zero_bias_16");
                continue;
            }
            var alias = conv.Name + "_bias_alias";
            graph.AddNode(new NodeProto { OpType = "Identity", Name = alias, Input = { "zero_bias_16" }, Output = { alias } }, graph.Proto.Node.IndexOf(conv));
            graph.SetInput(conv, 2, alias);
        }
        return model;
    }

    [Fact]
    public void Layers_whose_zero_biases_the_exporter_merged_are_pruned_and_the_outputs_stay_the_same()
    {
        var model = WithMergedZeroBiases();
        Assert.Contains(model.Graph.Nodes, n => n.OpType == "Identity");

        var result = ChannelPruningTests.Prune(model, 0.25);

        // Dead channels removed in the stem group (stem, block0b, block1b share channels through the adds) and in
        // the blocks' first convs, which read the merged bias through Identity.
        Assert.Equal(12, ChannelPruningTests.Dims(result.Model, "stem_w")[0]);
        Assert.Equal(12, ChannelPruningTests.Dims(result.Model, "block0a_w")[0]);
        Assert.Equal(12, ChannelPruningTests.Dims(result.Model, "block1a_w")[0]);
        Assert.DoesNotContain(result.Record.Warnings, w => w.Contains("shared", StringComparison.Ordinal));
        Assert.True(result.Record.Totals["shared_constants_copied"] > 0);
        ChannelPruningTests.AssertSameOutputs(model, result.Model);
    }

    [Fact]
    public void Taylor_importance_scores_the_graph_after_shared_constants_were_split()
    {
        // The Identity nodes the splitting removes shift every node's index: the probe must be built on the split
        // graph the dependency graph describes (it was built on the input and failed: "graph has a cycle").
        var model = WithMergedZeroBiases();
        var pass = new EdgeCompress.Compression.Pruning.ChannelPruningPass(new EdgeCompress.Compression.Pruning.ChannelPruningOptions
        {
            Ratio = 0.25,
            Importance = EdgeCompress.Compression.Pruning.ChannelImportanceKind.Taylor,
            Calibration = EdgeCompress.Data.DataSpec.Parse("synthetic:4"),
        });

        var result = pass.Apply(model);

        Assert.True(result.Record.Totals["shared_constants_copied"] > 0);
        Assert.Equal(12, ChannelPruningTests.Dims(result.Model, "block0a_w")[0]);
    }

    [Fact]
    public void A_weight_matrix_two_layers_really_share_stays_shared_and_its_layers_are_refused_by_name()
    {
        var model = PruningTestModels.ResNet(withBn: false);
        var graph = model.Graph;
        var block1a = graph.Nodes.Single(n => n.Name == "block1a");
        graph.RemoveInitializer(block1a.Input[1]);
        graph.SetInput(block1a, 1, "block0a_w"); // tied weights, as in weight-tied layers

        var result = ChannelPruningTests.Prune(model, 0.25);

        Assert.Equal(16, ChannelPruningTests.Dims(result.Model, "block0a_w")[0]);
        Assert.Contains(result.Record.Warnings, w => w.Contains("block0a", StringComparison.Ordinal) && w.Contains("shared with another node", StringComparison.Ordinal));
    }
}
