using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Onnx.Tests;

/// <summary>
/// Edits through <see cref="OnnxGraph"/> keep its cached lookups valid. Each test reads the lookups first, so they
/// are cached when the edit comes, then checks them against the graph as it now is.
/// </summary>
public class OnnxGraphEditTests
{
    /// <summary>x -> MatMul(w) -> m -> Add(b) -> a -> Relu -> r; y = r + a.</summary>
    private static OnnxGraph Chain() =>
        new ModelBuilder().Input("x", 1, 4).Weight("w", 4, 4).Floats("b", 1, 2, 3, 4)
            .Node("MatMul", ["x", "w"], ["m"]).Node("Add", ["m", "b"], ["a"]).Node("Relu", ["a"], ["r"]).Node("Add", ["r", "a"], ["y"])
            .Output("y").Build().Graph;

    private static NodeProto Writer(OnnxGraph graph, string output) => graph.Nodes.Single(n => n.Output.Contains(output));

    private static void AssertReaders(OnnxGraph graph, string value, params NodeProto[] expected) =>
        Assert.True(graph.Consumers(value).SequenceEqual(expected, ReferenceEqualityComparer.Instance),
            $"readers of '{value}': [{string.Join(", ", graph.Consumers(value).Select(OnnxGraph.NodeLabel))}], expected [{string.Join(", ", expected.Select(OnnxGraph.NodeLabel))}]");

    [Fact]
    public void Setting_an_input_moves_the_node_from_the_old_values_readers_to_the_new_ones_in_graph_order()
    {
        var graph = Chain();
        var (matmul, add, relu, last) = (Writer(graph, "m"), Writer(graph, "a"), Writer(graph, "r"), Writer(graph, "y"));
        AssertReaders(graph, "a", relu, last);
        AssertReaders(graph, "m", add);
        AssertReaders(graph, "b", add);

        graph.SetInput(relu, 0, "m");
        graph.SetInput(matmul, 1, "b");

        AssertReaders(graph, "a", last);
        AssertReaders(graph, "m", add, relu);
        AssertReaders(graph, "b", matmul, add);
        AssertReaders(graph, "w");
    }

    [Fact]
    public void A_node_still_reading_the_old_value_at_another_input_stays_its_reader()
    {
        var graph = Chain();
        var (matmul, relu, last) = (Writer(graph, "m"), Writer(graph, "r"), Writer(graph, "y"));
        AssertReaders(graph, "a", relu, last);

        graph.SetInput(last, 0, "a");
        AssertReaders(graph, "r");
        AssertReaders(graph, "a", relu, last);

        graph.SetInput(last, 1, "x");
        AssertReaders(graph, "a", relu, last);
        AssertReaders(graph, "x", matmul, last);
    }

    [Fact]
    public void A_reader_list_held_while_its_readers_are_repointed_does_not_change_under_the_caller()
    {
        var graph = Chain();
        var (add, relu, last) = (Writer(graph, "a"), Writer(graph, "r"), Writer(graph, "y"));
        var readers = graph.Consumers("a");

        foreach (var reader in readers)
        {
            graph.ReplaceInput(reader, "a", "m");
        }

        Assert.Equal(2, readers.Count);
        AssertReaders(graph, "a");
        AssertReaders(graph, "m", add, relu, last);
    }

    [Fact]
    public void Adding_an_input_past_the_last_one_leaves_the_gap_empty_and_makes_the_node_a_reader()
    {
        var graph = Chain();
        var (add, relu) = (Writer(graph, "a"), Writer(graph, "r"));
        AssertReaders(graph, "b", add);

        graph.AddInput(relu, "b", 2);
        graph.AddInput(relu, "w", 1);

        Assert.Equal(new[] { "a", "w", "", "b" }, relu.Input);
        AssertReaders(graph, "b", add, relu);
        AssertReaders(graph, "w", Writer(graph, "m"), relu);
        AssertReaders(graph, "");
    }

    [Fact]
    public void Replacing_a_node_puts_its_replacements_where_it_stood_and_makes_them_the_producers()
    {
        var graph = Chain();
        var (matmul, add, relu, last) = (Writer(graph, "m"), Writer(graph, "a"), Writer(graph, "r"), Writer(graph, "y"));
        Assert.Same(relu, graph.Producer("r"));
        AssertReaders(graph, "a", relu, last);

        var abs = NodeAttributes.Create("Abs", "abs", ["a"], ["t"]);
        var clip = NodeAttributes.Create("Relu", "relu2", ["t"], ["r"]);
        graph.ReplaceNode(relu, [abs, clip]);

        Assert.True(graph.Nodes.SequenceEqual([matmul, add, abs, clip, last], ReferenceEqualityComparer.Instance));
        Assert.Same(clip, graph.Producer("r"));
        Assert.Same(abs, graph.Producer("t"));
        AssertReaders(graph, "a", abs, last);
        AssertReaders(graph, "t", clip);
    }

    [Fact]
    public void Replacing_a_node_that_is_not_in_the_graph_is_refused_with_its_name()
    {
        var graph = Chain();
        var stranger = NodeAttributes.Create("Relu", "stranger", ["a"], ["s"]);

        var e = Assert.Throws<ArgumentException>(() => graph.ReplaceNode(stranger, []));

        Assert.Contains("'stranger'", e.Message, StringComparison.Ordinal);
        Assert.Equal(4, graph.Nodes.Count);
    }

    [Fact]
    public void Setting_an_output_makes_the_node_the_producer_of_the_new_name_and_no_longer_of_the_old()
    {
        var graph = Chain();
        var matmul = Writer(graph, "m");
        Assert.Same(matmul, graph.Producer("m"));

        graph.SetOutput(matmul, 0, "m2");

        Assert.Same(matmul, graph.Producer("m2"));
        Assert.Null(graph.Producer("m"));
    }

    [Fact]
    public void Added_nodes_are_producers_and_readers_and_a_removed_node_is_neither()
    {
        var graph = Chain();
        var (relu, last) = (Writer(graph, "r"), Writer(graph, "y"));
        AssertReaders(graph, "y");
        Assert.Null(graph.Producer("s"));

        var sigmoid = NodeAttributes.Create("Sigmoid", "sigmoid", ["y"], ["s"]);
        graph.AddNodes([sigmoid]);
        AssertReaders(graph, "y", sigmoid);
        Assert.Same(sigmoid, graph.Producer("s"));

        graph.RemoveNode(last);
        Assert.Null(graph.Producer("y"));
        AssertReaders(graph, "r");
        AssertReaders(graph, "a", relu);
    }

    [Fact]
    public void Initializers_added_replaced_and_removed_are_seen_by_the_initializer_and_constant_lookups()
    {
        var graph = Chain();
        Assert.Equal(new[] { "b", "w" }, graph.Initializers.Keys.Order(StringComparer.Ordinal));

        var k = TensorData.FromFloats("k", [1], [2f]);
        graph.SetInitializer(k);
        Assert.Same(k, graph.Initializers["k"]);
        Assert.Same(k, graph.GetConstant("k"));

        var w = TensorData.FromFloats("w", [4, 4], new float[16]);
        graph.SetInitializer(w);
        Assert.Same(w, graph.GetConstant("w"));
        Assert.Equal(3, graph.Proto.Initializer.Count);

        Assert.True(graph.RemoveInitializer("b"));
        Assert.False(graph.Initializers.ContainsKey("b"));
        Assert.Null(graph.GetConstant("b"));
    }

    [Fact]
    public void An_initializer_listed_as_a_graph_input_is_a_constant_only_once_that_input_is_removed()
    {
        var graph = Chain();
        Assert.NotNull(graph.GetConstant("w"));

        graph.AddGraphInput(new ValueInfoProto { Name = "w" });
        Assert.Null(graph.GetConstant("w"));
        Assert.Equal(new[] { "x" }, graph.RealInputs.Select(i => i.Name));

        Assert.Equal(1, graph.RemoveGraphInputs(i => i.Name == "w"));
        Assert.NotNull(graph.GetConstant("w"));
    }

    [Fact]
    public void Value_info_entries_that_match_are_removed_and_counted()
    {
        var model = new ModelBuilder().Input("x", 1, 4).Node("Relu", ["x"], ["r"]).Node("Relu", ["r"], ["y"])
            .ValueInfo("r", 1, 4).ValueInfo("y", 1, 4).Build();

        Assert.Equal(1, model.Graph.RemoveValueInfo(v => v.Name == "r"));

        Assert.Equal(new[] { "y" }, model.Graph.Proto.ValueInfo.Select(v => v.Name));
    }

    [Fact]
    public void A_name_handed_out_is_never_handed_out_again_even_after_edits_that_remove_nodes()
    {
        var graph = Chain();
        Assert.Equal("pending", graph.UniqueName("pending"));

        graph.RemoveNode(Writer(graph, "y"));
        graph.SortTopologically();

        Assert.Equal("pending_1", graph.UniqueName("pending"));
    }

    [Fact]
    public void A_name_an_edit_brings_in_is_not_handed_out()
    {
        var graph = Chain();
        Assert.Equal("r_1", graph.UniqueName("r"));

        graph.AddNode(NodeAttributes.Create("Neg", "neg", ["y"], ["n"]));
        graph.SetInitializer(TensorData.FromFloats("k", [1], [1f]));
        graph.SetInput(Writer(graph, "r"), 0, "z");
        graph.SetOutput(Writer(graph, "m"), 0, "m2");
        graph.AddGraphInput(new ValueInfoProto { Name = "extra" });
        graph.RenameValue("b", "bias");

        Assert.Equal(new[] { "neg_1", "n_1", "k_1", "z_1", "m2_1", "extra_1", "bias_1" },
            new[] { "neg", "n", "k", "z", "m2", "extra", "bias" }.Select(graph.UniqueName));
    }

    [Fact]
    public void A_node_reading_a_value_only_inside_its_subgraph_stays_its_reader_when_the_direct_readers_are_repointed()
    {
        var graph = Chain();
        var (add, relu, last) = (Writer(graph, "a"), Writer(graph, "r"), Writer(graph, "y"));
        var branch = new GraphProto { Name = "then" };
        branch.Node.Add(NodeAttributes.Create("Identity", "inner", ["a"], ["inner_out"]));
        branch.Output.Add(new ValueInfoProto { Name = "inner_out" });
        var test = NodeAttributes.Create("If", "if", ["x"], ["z"]);
        Assert.Equal("warm", graph.UniqueName("warm"));
        test.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = branch });
        test.Attribute.Add(new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = branch.Clone() });
        graph.AddNode(test);
        AssertReaders(graph, "a", relu, last, test);

        graph.ReplaceAllUses("a", "m");

        AssertReaders(graph, "a", test);
        AssertReaders(graph, "m", add, relu, last);
        Assert.Equal("inner_out_1", graph.UniqueName("inner_out"));
    }

    [Fact]
    public void After_each_edit_every_lookup_agrees_with_a_fresh_view_of_the_same_graph()
    {
        var graph = Chain();
        var (matmul, add, relu, last) = (Writer(graph, "m"), Writer(graph, "a"), Writer(graph, "r"), Writer(graph, "y"));
        var constant = NodeAttributes.Create("Constant", "c", [], ["c"]);
        constant.SetTensor("value", TensorData.FromFloats("", [4], [1f, 1f, 1f, 1f]));
        var edits = new (string What, Action Edit)[]
        {
            ("SetInput", () => graph.SetInput(relu, 0, "m")),
            ("AddInput", () => graph.AddInput(last, "b", 1)),
            ("ReplaceInput", () => graph.ReplaceInput(last, "b", "w")),
            ("SetOutput", () => graph.SetOutput(add, 0, "a2")),
            ("AddNode", () => graph.AddNode(constant, 0)),
            ("ReplaceAllUses", () => graph.ReplaceAllUses("a", "c")),
            ("ReplaceNode", () => graph.ReplaceNode(relu, [NodeAttributes.Create("Relu", "relu2", ["a2"], ["r"])])),
            ("RenameValue", () => graph.RenameValue("m", "mm")),
            ("SetInitializer (new)", () => graph.SetInitializer(TensorData.FromFloats("k", [1], [1f]))),
            ("SetInitializer (replace)", () => graph.SetInitializer(TensorData.FromFloats("b", [4], new float[4]))),
            ("AddGraphInput", () => graph.AddGraphInput(new ValueInfoProto { Name = "k" })),
            ("RemoveGraphInputs", () => graph.RemoveGraphInputs(i => i.Name == "k")),
            ("RemoveInitializer", () => graph.RemoveInitializer("k")),
            ("RemoveNode", () => graph.RemoveNode(matmul)),
            ("AddNodes", () => graph.AddNodes([NodeAttributes.Create("Mul", "mul", ["w", "x"], ["mm"])])),
            ("SortTopologically", graph.SortTopologically),
            ("RemoveUnused", () => graph.RemoveUnused()),
        };
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (what, edit) in edits)
        {
            AssertAgreesWithFreshView(graph, names, $"before {what}");
            edit();
            AssertAgreesWithFreshView(graph, names, $"after {what}");
        }
    }

    /// <summary>Reads every lookup for every name seen so far (which also caches them) and compares each with a new
    /// view of the same proto, which has nothing cached.</summary>
    private static void AssertAgreesWithFreshView(OnnxGraph graph, HashSet<string> names, string when)
    {
        var fresh = new OnnxGraph(graph.Proto);
        names.UnionWith(graph.Nodes.SelectMany(n => n.Input.Concat(n.Output)));
        names.UnionWith(graph.Proto.Initializer.Select(t => t.Name).Concat(graph.Proto.Input.Select(v => v.Name)));
        foreach (var name in names)
        {
            Assert.True(ReferenceEquals(fresh.Producer(name), graph.Producer(name)), $"{when}: producer of '{name}'");
            Assert.True(fresh.Consumers(name).SequenceEqual(graph.Consumers(name), ReferenceEqualityComparer.Instance), $"{when}: readers of '{name}'");
            Assert.True(ReferenceEquals(fresh.GetConstant(name), graph.GetConstant(name)), $"{when}: constant '{name}'");
        }
        Assert.Equal(fresh.Initializers.OrderBy(p => p.Key, StringComparer.Ordinal), graph.Initializers.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(fresh.RealInputs.Select(i => i.Name), graph.RealInputs.Select(i => i.Name));
    }
}
