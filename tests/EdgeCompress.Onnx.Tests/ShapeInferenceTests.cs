namespace EdgeCompress.Onnx.Tests;

public class ShapeInferenceTests
{
    private static string Shape(OnnxModel m, string value, IReadOnlyDictionary<string, long[]>? inputs = null) =>
        ShapeInference.Infer(m, inputs).TypeOf(value)?.ShapeText() ?? "none";

    [Fact]
    public void A_7x7_stride_2_conv_on_224_gives_112_and_the_hand_computed_MACs()
    {
        var m = new ModelBuilder().Input("x", 1, 3, 224, 224).Weight("w", 64, 3, 7, 7).Weight("b", 64)
            .Node("Conv", ["x", "w", "b"], ["y"], ("strides", new long[] { 2, 2 }), ("pads", new long[] { 3, 3, 3, 3 }))
            .Output("y").Build();
        var shapes = ShapeInference.Infer(m);
        Assert.Equal("1x64x112x112", shapes.TypeOf("y")!.ShapeText());
        var cost = CostModel.Compute(m, shapes);
        Assert.Equal(64L * 112 * 112 * 3 * 49, Assert.Single(cost.Nodes).Macs);
        Assert.Equal(118_013_952L, cost.TotalMacs);
        Assert.Equal(64L * 3 * 49 + 64, cost.ParameterCount);
        Assert.Equal((64L * 3 * 49 + 64) * 4, cost.ParameterBytes);
    }

    [Theory]
    [InlineData("SAME_UPPER", 2, 1, "1x8x112x112")]
    [InlineData("SAME_LOWER", 2, 1, "1x8x112x112")]
    [InlineData("VALID", 2, 1, "1x8x109x109")]
    [InlineData("VALID", 1, 2, "1x8x212x212")]
    [InlineData("SAME_UPPER", 3, 1, "1x8x75x75")]
    public void Conv_auto_pad_modes_follow_the_specification(string autoPad, long stride, long dilation, string expected)
    {
        var m = new ModelBuilder().Input("x", 1, 3, 224, 224).Weight("w", 8, 3, 7, 7)
            .Node("Conv", ["x", "w"], ["y"], ("auto_pad", autoPad), ("strides", new[] { stride, stride }), ("dilations", new[] { dilation, dilation }))
            .Build();
        Assert.Equal(expected, Shape(m, "y"));
    }

    [Fact]
    public void A_depthwise_conv_counts_one_input_channel_per_filter()
    {
        var m = new ModelBuilder().Input("x", 1, 32, 56, 56).Weight("w", 32, 1, 3, 3)
            .Node("Conv", ["x", "w"], ["y"], ("group", 32L), ("pads", new long[] { 1, 1, 1, 1 })).Build();
        var cost = CostModel.Compute(m, ShapeInference.Infer(m));
        Assert.Equal("1x32x56x56", cost.Nodes[0].OutputShape);
        Assert.Equal(32L * 56 * 56 * 9, cost.TotalMacs);
    }

    [Fact]
    public void ConvTranspose_honours_strides_output_padding_and_output_shape()
    {
        var b = new ModelBuilder().Input("x", 1, 16, 10, 10).Weight("w", 16, 8, 3, 3);
        b.Node("ConvTranspose", ["x", "w"], ["y"], ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 1, 1 }), ("output_padding", new long[] { 1, 1 }));
        b.Node("ConvTranspose", ["x", "w"], ["z"], ("strides", new long[] { 2, 2 }), ("output_shape", new long[] { 21, 21 }));
        var m = b.Build();
        var shapes = ShapeInference.Infer(m);
        Assert.Equal("1x8x20x20", shapes.TypeOf("y")!.ShapeText());
        Assert.Equal("1x8x21x21", shapes.TypeOf("z")!.ShapeText());
        Assert.Equal(16L * 10 * 10 * 8 * 9, CostModel.Compute(m, shapes).Nodes[0].Macs);
    }

    [Fact]
    public void Gemm_with_transB_and_batched_MatMul_broadcast_as_numpy_does()
    {
        var m = new ModelBuilder().Input("a", 4, 256).Weight("w", 10, 256).Weight("c", 10)
            .Input("p", 2, 1, 3, 4).Input("q", 5, 4, 6)
            .Node("Gemm", ["a", "w", "c"], ["y"], ("transB", 1L))
            .Node("MatMul", ["p", "q"], ["z"]).Build();
        var shapes = ShapeInference.Infer(m);
        Assert.Equal("4x10", shapes.TypeOf("y")!.ShapeText());
        Assert.Equal("2x5x3x6", shapes.TypeOf("z")!.ShapeText());
        var cost = CostModel.Compute(m, shapes);
        Assert.Equal(4L * 10 * 256, cost.Nodes[0].Macs);
        Assert.Equal(2L * 5 * 3 * 6 * 4, cost.Nodes[1].Macs);
    }

    [Theory]
    [InlineData(0L, "1x8x55x55")]
    [InlineData(1L, "1x8x56x56")]
    public void MaxPool_rounds_down_unless_ceil_mode_is_set(long ceil, string expected)
    {
        var m = new ModelBuilder().Input("x", 1, 8, 112, 112)
            .Node("MaxPool", ["x"], ["y"], ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 }), ("ceil_mode", ceil)).Build();
        Assert.Equal(expected, Shape(m, "y"));
    }

    [Fact]
    public void A_reshape_to_batch_and_minus_one_computed_from_Shape_keeps_the_symbolic_batch()
    {
        // The classic exporter pattern: Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])).
        var m = new ModelBuilder(opset: 13).Input("x", "N", 512, 7, 7).Scalar("zero", 0).Ints("minus1", -1).Ints("ax", 0)
            .Node("Shape", ["x"], ["s"])
            .Node("Gather", ["s", "zero"], ["n"])
            .Node("Unsqueeze", ["n", "ax"], ["n1"])
            .Node("Concat", ["n1", "minus1"], ["target"], ("axis", 0L))
            .Node("Reshape", ["x", "target"], ["y"]).Build();
        Assert.Equal("Nx25088", Shape(m, "y"));
        Assert.Equal("4x25088", Shape(m, "y", new Dictionary<string, long[]> { ["x"] = [4, 512, 7, 7] }));
    }

    [Fact]
    public void Reshape_copies_zero_dims_unless_allowzero_is_set()
    {
        var m = new ModelBuilder(opset: 14).Input("x", 2, 3, 4).Ints("t", 0, -1).Ints("z", 0, 12)
            .Node("Reshape", ["x", "t"], ["y"])
            .Node("Reshape", ["x", "z"], ["w"], ("allowzero", 1L)).Build();
        Assert.Equal("2x12", Shape(m, "y"));
        Assert.Equal("0x12", Shape(m, "w"));
    }

    [Fact]
    public void Squeeze_and_Unsqueeze_read_axes_from_the_attribute_before_opset_13_and_the_input_after()
    {
        var old = new ModelBuilder(opset: 11).Input("x", 1, 3, 1, 5)
            .Node("Squeeze", ["x"], ["s"], ("axes", new long[] { 0, 2 }))
            .Node("Unsqueeze", ["s"], ["u"], ("axes", new long[] { 0, -1 })).Build();
        Assert.Equal("3x5", Shape(old, "s"));
        Assert.Equal("1x3x5x1", Shape(old, "u"));
        var current = new ModelBuilder(opset: 13).Input("x", 1, 3, 1, 5).Ints("a", 0, 2).Ints("b", 1)
            .Node("Squeeze", ["x", "a"], ["s"])
            .Node("Unsqueeze", ["s", "b"], ["u"]).Build();
        Assert.Equal("3x5", Shape(current, "s"));
        Assert.Equal("3x1x5", Shape(current, "u"));
    }

    [Fact]
    public void Resize_uses_scales_or_sizes()
    {
        var m = new ModelBuilder(opset: 13).Input("x", 1, 3, 20, 30).Floats("scales", 1, 1, 2, 0.5f).Ints("sizes", 1, 3, 7, 9)
            .Node("Resize", ["x", "", "scales"], ["a"], ("mode", "nearest"))
            .Node("Resize", ["x", "", "", "sizes"], ["b"]).Build();
        Assert.Equal("1x3x40x15", Shape(m, "a"));
        Assert.Equal("1x3x7x9", Shape(m, "b"));
    }

    [Fact]
    public void An_LSTM_gives_directions_and_hidden_size_and_counts_four_gates()
    {
        var m = new ModelBuilder().Input("x", 7, 2, 16).Weight("w", 2, 128, 16).Weight("r", 2, 128, 32)
            .Node("LSTM", ["x", "w", "r"], ["y", "h", "c"], ("hidden_size", 32L), ("direction", "bidirectional")).Build();
        var shapes = ShapeInference.Infer(m);
        Assert.Equal("7x2x2x32", shapes.TypeOf("y")!.ShapeText());
        Assert.Equal("2x2x32", shapes.TypeOf("h")!.ShapeText());
        Assert.Equal(7L * 2 * 2 * 4 * 32 * (16 + 32), CostModel.Compute(m, shapes).TotalMacs);
    }

    [Fact]
    public void A_GRU_in_batch_first_layout_counts_three_gates()
    {
        var m = new ModelBuilder().Input("x", 4, 10, 8).Weight("w", 1, 48, 8).Weight("r", 1, 48, 16)
            .Node("GRU", ["x", "w", "r"], ["y", "h"], ("hidden_size", 16L), ("layout", 1L)).Build();
        var shapes = ShapeInference.Infer(m);
        Assert.Equal("4x10x1x16", shapes.TypeOf("y")!.ShapeText());
        Assert.Equal("4x1x16", shapes.TypeOf("h")!.ShapeText());
        // seq*batch*dirs*gates*hidden*(input+hidden), with the sequence read from axis 1 in this layout.
        Assert.Equal(10L * 4 * 1 * 3 * 16 * (8 + 16), CostModel.Compute(m, shapes).TotalMacs);
    }

    [Fact]
    public void A_conv_inside_an_If_branch_reading_an_outer_value_is_shaped_and_counted()
    {
        var branch = new Protos.GraphProto { Name = "then" };
        branch.Initializer.Add(TensorData.FromFloats("bw", [8, 3, 3, 3], new float[8 * 27]));
        branch.Node.Add(NodeAttributes.Create("Conv", "inner_conv", ["x", "bw"], ["t"]));
        branch.Output.Add(new Protos.ValueInfoProto { Name = "t" });
        var other = new Protos.GraphProto { Name = "else" };
        other.Initializer.Add(TensorData.FromFloats("ew", [8, 3, 3, 3], new float[8 * 27]));
        other.Node.Add(NodeAttributes.Create("Conv", "else_conv", ["x", "ew"], ["e"]));
        other.Output.Add(new Protos.ValueInfoProto { Name = "e" });
        var b = new ModelBuilder().TypedInput("c", Protos.TensorProto.Types.DataType.Bool).Input("x", 1, 3, 10, 10);
        var node = NodeAttributes.Create("If", "choose", ["c"], ["r"]);
        node.Attribute.Add(new Protos.AttributeProto { Name = "then_branch", Type = Protos.AttributeProto.Types.AttributeType.Graph, G = branch });
        node.Attribute.Add(new Protos.AttributeProto { Name = "else_branch", Type = Protos.AttributeProto.Types.AttributeType.Graph, G = other });
        b.Graph.Node.Add(node);
        var m = b.Build();
        var shapes = ShapeInference.Infer(m);
        Assert.Equal("1x8x8x8", shapes.TypeOf("r")!.ShapeText());
        var cost = CostModel.Compute(m, shapes);
        Assert.Equal(["else_conv", "inner_conv"], cost.Nodes.Select(n => n.Node).Order(StringComparer.Ordinal));
        Assert.Equal(2 * 8L * 8 * 8 * 27, cost.TotalMacs);
        Assert.Equal(2 * 8L * 27, cost.ParameterCount);
    }

    [Fact]
    public void Slice_Pad_Transpose_Flatten_and_Concat_give_the_expected_shapes()
    {
        var m = new ModelBuilder(opset: 13).Input("x", 2, 3, 10, 10).Ints("st", 1, -8).Ints("en", 100, 9).Ints("ax", 2, 3).Ints("stp", 2, 3)
            .Ints("pads", 0, 0, 1, 2, 0, 0, 3, 4)
            .Node("Slice", ["x", "st", "en", "ax", "stp"], ["s"])
            .Node("Pad", ["x", "pads"], ["p"])
            .Node("Transpose", ["x"], ["t"], ("perm", new long[] { 0, 2, 3, 1 }))
            .Node("Flatten", ["x"], ["f"], ("axis", 2L))
            .Node("Concat", ["x", "x"], ["c"], ("axis", -3L)).Build();
        Assert.Equal("2x3x5x3", Shape(m, "s"));
        Assert.Equal("2x3x14x16", Shape(m, "p"));
        Assert.Equal("2x10x10x3", Shape(m, "t"));
        Assert.Equal("6x100", Shape(m, "f"));
        Assert.Equal("2x6x10x10", Shape(m, "c"));
    }

    [Fact]
    public void A_shape_stored_in_value_info_fills_in_after_an_operator_with_no_rule()
    {
        var b = new ModelBuilder().Input("x", 1, 4).ValueInfo("y", 1, 9).Node("Relu", ["y"], ["z"]);
        b.Graph.Node.Insert(0, new Protos.NodeProto { OpType = "MysteryOp", Domain = "com.example", Name = "mystery", Input = { "x" }, Output = { "y" } });
        var result = ShapeInference.Infer(b.Build());
        Assert.Equal("1x9", result.TypeOf("z")!.ShapeText());
        Assert.Contains(result.Notes, n => n.Contains("MysteryOp", StringComparison.Ordinal));
    }

    [Fact]
    public void A_given_input_shape_replaces_a_dynamic_batch_and_a_wrong_rank_is_refused()
    {
        var m = new ModelBuilder().Input("x", "batch", 3, 32, 32).Weight("w", 4, 3, 3, 3).Node("Conv", ["x", "w"], ["y"]).Build();
        Assert.Equal("batchx4x30x30", Shape(m, "y"));
        Assert.Equal("8x4x30x30", Shape(m, "y", new Dictionary<string, long[]> { ["x"] = [8, 3, 32, 32] }));
        var e = Assert.Throws<InputException>(() => ShapeInference.Infer(m, new Dictionary<string, long[]> { ["x"] = [8, 3, 32] }));
        Assert.Contains("rank 4", e.Message, StringComparison.Ordinal);
        Assert.Throws<InputException>(() => ShapeInference.Infer(m, new Dictionary<string, long[]> { ["nope"] = [1] }));
    }

    [Fact]
    public void Huge_dims_saturate_the_MAC_count_instead_of_overflowing()
    {
        var m = new ModelBuilder().Input("x", 1L << 40, 1L << 20).Input("y", 1L << 20, 1L << 40).Node("MatMul", ["x", "y"], ["z"]).Build();
        var cost = CostModel.Compute(m, ShapeInference.Infer(m));
        Assert.True(cost.MacsSaturated);
        Assert.Equal(SafeMath.Saturated, cost.TotalMacs);
    }
    [Fact]
    public void Com_microsoft_quantized_and_fused_operators_carry_shapes_and_count_their_MACs()
    {
        // ONNX Runtime's tool and its saved optimized graphs: QuantizeLinear/DequantizeLinear, QLinearAdd,
        // QLinearConcat, QLinearGlobalAveragePool, QGemm, FusedConv and FusedMatMul in the com.microsoft domain.
        var b = new ModelBuilder().Input("x", 1, 3, 32, 32).Weight("w", 16, 3, 3, 3).Scalar("zp", 0).Floats("s", 0.1f)
            .Weight("gw", 10, 32).Weight("mw", 4, 10);
        b.Node("FusedConv", ["x", "w"], ["c"], ("pads", new long[] { 1, 1, 1, 1 }), ("activation", "Relu"));
        b.Node("QuantizeLinear", ["c", "s", "zp"], ["q"]);
        b.Node("QLinearAdd", ["q", "s", "zp", "q", "s", "zp", "s", "zp"], ["a"]);
        b.Node("QLinearConcat", ["s", "zp", "a", "s", "zp", "q", "s", "zp"], ["cat"], ("axis", 1L));
        b.Node("QLinearGlobalAveragePool", ["cat", "s", "zp", "s", "zp"], ["gap"]);
        b.Node("DequantizeLinear", ["gap", "s", "zp"], ["d"]);
        b.Node("Flatten", ["d"], ["f"]);
        b.Node("QuantizeLinear", ["f", "s", "zp"], ["fq"]);
        b.Node("QGemm", ["fq", "s", "zp", "gw", "s", "zp", "", "s", "zp"], ["g"], ("transB", 1L));
        b.Node("DequantizeLinear", ["g", "s", "zp"], ["gd"]);
        b.Node("FusedMatMul", ["gd", "mw"], ["y"], ("transB", 1L));
        var m = b.Build();
        foreach (var n in m.Graph.Proto.Node.Where(n => n.OpType != "Flatten"))
        {
            n.Domain = "com.microsoft";
        }
        m.Proto.OpsetImport.Add(new EdgeCompress.Onnx.Protos.OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });

        var shapes = ShapeInference.Infer(m);
        Assert.Equal("1x16x32x32", shapes.TypeOf("a")!.ShapeText());
        Assert.Equal("1x32x32x32", shapes.TypeOf("cat")!.ShapeText());
        Assert.Equal("1x32x1x1", shapes.TypeOf("gap")!.ShapeText());
        Assert.Equal("1x10", shapes.TypeOf("g")!.ShapeText());
        Assert.Equal("1x4", shapes.TypeOf("y")!.ShapeText());
        var cost = CostModel.Compute(m, shapes);
        Assert.Equal(0, cost.UnknownMacNodes);
        Assert.Equal((16L * 32 * 32 * 27) + (32L * 32 * 32) + (10 * 32) + (4 * 10), cost.TotalMacs);
    }
}
