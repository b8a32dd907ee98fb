using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Onnx.Tests;

public class ModelValidatorTests
{
    private static ValidationFinding SingleError(OnnxModel m) =>
        Assert.Single(ModelValidator.Validate(m), f => f.Severity == FindingSeverity.Error);

    [Fact]
    public void A_well_formed_conv_model_has_no_findings()
    {
        var m = new ModelBuilder().Input("x", 1, 3, 8, 8).Weight("w", 4, 3, 3, 3).Node("Conv", ["x", "w"], ["y"]).Output("y").Build();
        Assert.Empty(ModelValidator.Validate(m));
    }

    [Fact]
    public void A_node_reading_a_value_nothing_produces_is_an_error_naming_the_node()
    {
        var m = new ModelBuilder().Input("x", 2).Node("Add", ["x", "ghost"], ["y"]).Output("y").Build();
        var f = SingleError(m);
        Assert.Equal("y_node", f.Node);
        Assert.Contains("'ghost'", f.Message, StringComparison.Ordinal);
        Assert.StartsWith("error: node 'y_node': reads 'ghost'", f.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_conv_whose_weights_are_missing_reports_a_missing_initializer()
    {
        var m = new ModelBuilder().Input("x", 1, 3, 8, 8).Node("Conv", ["x", "w"], ["y"]).Output("y").Build();
        var f = SingleError(m);
        Assert.Equal("y_node", f.Node);
        Assert.Contains("weight input 1 'w' has no initializer", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_producers_of_one_value_are_reported_with_both_nodes()
    {
        var b = new ModelBuilder().Input("x", 2).Node("Relu", ["x"], ["y"]).Node("Neg", ["x"], ["z"]).Output("y");
        b.Graph.Node[1].Output[0] = "y";
        b.Graph.Node[1].Name = "second";
        var f = SingleError(b.Build());
        Assert.Equal("second", f.Node);
        Assert.Contains("also produced by node 'y_node'", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cycle_is_reported_naming_a_node_on_it()
    {
        var m = new ModelBuilder().Input("x", 2).Node("Add", ["x", "b"], ["a"]).Node("Relu", ["a"], ["b"]).Output("b").Build();
        var errors = ModelValidator.Validate(m).Where(f => f.Severity == FindingSeverity.Error).ToArray();
        Assert.Contains(errors, f => f.Message.Contains("cycle through node 'a_node'", StringComparison.Ordinal));
    }

    [Fact]
    public void Nodes_stored_out_of_topological_order_are_a_warning_not_an_error()
    {
        var m = new ModelBuilder().Input("x", 2).Node("Neg", ["a"], ["y"]).Node("Relu", ["x"], ["a"]).Output("y").Build();
        var f = Assert.Single(ModelValidator.Validate(m));
        Assert.Equal(FindingSeverity.Warning, f.Severity);
        Assert.Contains("reads 'a' before node 'a_node' produces it", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_graph_output_nobody_produces_is_an_error()
    {
        var m = new ModelBuilder().Input("x", 2).Node("Relu", ["x"], ["y"]).Output("y").Output("lost").Build();
        var f = SingleError(m);
        Assert.Null(f.Node);
        Assert.Contains("graph output 'lost' is produced by no node", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_subgraph_may_read_outer_values_but_not_unknown_ones()
    {
        var branch = new GraphProto { Name = "then" };
        branch.Node.Add(NodeAttributes.Create("Relu", "inner", ["x"], ["t"]));
        branch.Node.Add(NodeAttributes.Create("Add", "inner_bad", ["t", "nowhere"], ["u"]));
        branch.Output.Add(new ValueInfoProto { Name = "u" });
        var b = new ModelBuilder().TypedInput("c", TensorProto.Types.DataType.Bool).Input("x", 2);
        var ifNode = NodeAttributes.Create("If", "branching", ["c"], ["r"]);
        ifNode.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = branch });
        ifNode.Attribute.Add(new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = branch.Clone() });
        b.Graph.Node.Add(ifNode);
        b.Output("r");
        var errors = ModelValidator.Validate(b.Build()).Where(f => f.Severity == FindingSeverity.Error).ToArray();
        Assert.Equal(2, errors.Length);
        Assert.All(errors, f => Assert.Equal("inner_bad", f.Node));
        Assert.All(errors, f => Assert.Contains("'nowhere'", f.Message, StringComparison.Ordinal));
    }
}
