using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using static EdgeCompress.Compression.Tests.TestModels;

namespace EdgeCompress.Compression.Tests;

/// <summary>A residual conv block written the way paddle2onnx and older exporters write it at any opset from 10 to 21:
/// Clip (ReLU6) with min/max as attributes before opset 11 and inputs after, Squeeze with its axes as an attribute
/// before opset 13 and an input after, and MatMul + Add instead of Gemm for the classifier.</summary>
public static class ResidualTestModels
{
    /// <summary>Input "image" [N,3,16,16], output "scores" [N,10]. With <paramref name="resizeMode"/> (opset 11+) a
    /// nearest 2x Resize with that coordinate_transformation_mode follows the residual sum.</summary>
    public static OnnxModel Block(int opset, string? resizeMode = null, int seed = 11)
    {
        var r = new Random(seed);
        var g = new GraphProto { Name = $"residual_opset{opset}" };
        g.Input.Add(Value("image", TensorProto.Types.DataType.Float, -1, 3, 16, 16));
        g.Output.Add(Value("scores", TensorProto.Types.DataType.Float, -1, 10));
        Conv(g, r, "stem", "image", 3, 16);
        g.Node.Add(Node("Relu", "stem_relu", ["stem_out"], ["stem_relu"]));
        Conv(g, r, "branch_a", "stem_relu", 16, 16);
        Relu6(g, opset, "branch_a_out", "branch_a_clip");
        Conv(g, r, "branch_b", "branch_a_clip", 16, 16);
        g.Node.Add(Node("Add", "residual", ["stem_relu", "branch_b_out"], ["sum"]));
        g.Node.Add(Node("Relu", "sum_relu", ["sum"], ["sum_relu"]));
        var pooled = "sum_relu";
        if (resizeMode is not null)
        {
            g.Initializer.Add(TensorData.FromFloats("resize_roi", [0], []));
            g.Initializer.Add(TensorData.FromFloats("resize_scales", [4], [1, 1, 2, 2]));
            g.Node.Add(Node("Resize", "upsample", ["sum_relu", "resize_roi", "resize_scales"], ["up"], n =>
            {
                n.SetString("mode", "nearest");
                n.SetString("coordinate_transformation_mode", resizeMode);
            }));
            pooled = "up";
        }
        g.Node.Add(Node("GlobalAveragePool", "gap", [pooled], ["gap"]));
        if (opset >= 13)
        {
            g.Initializer.Add(TensorData.FromInt64s("squeeze_axes", [2], [2, 3]));
            g.Node.Add(Node("Squeeze", "squeeze", ["gap", "squeeze_axes"], ["flat"]));
        }
        else
        {
            g.Node.Add(Node("Squeeze", "squeeze", ["gap"], ["flat"], n => n.SetInts("axes", [2, 3])));
        }
        g.Initializer.Add(TensorData.FromFloats("fc_w", [16, 10], Random(r, 160, 0.25)));
        g.Initializer.Add(TensorData.FromFloats("fc_b", [10], Random(r, 10, 0.1)));
        g.Node.Add(Node("MatMul", "fc", ["flat", "fc_w"], ["fc_out"]));
        g.Node.Add(Node("Add", "fc_bias", ["fc_out", "fc_b"], ["scores"]));
        var m = new ModelProto { IrVersion = opset >= 21 ? 10 : opset >= 19 ? 9 : opset >= 15 ? 8 : opset >= 11 ? 6 : 5, ProducerName = "paddle2onnx", Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return new OnnxModel(m);
    }

    private static void Conv(GraphProto g, Random r, string name, string input, int cin, int cout)
    {
        g.Initializer.Add(TensorData.FromFloats($"{name}_w", [cout, cin, 3, 3], Random(r, cout * cin * 9, Math.Sqrt(2.0 / (cin * 9)))));
        g.Initializer.Add(TensorData.FromFloats($"{name}_b", [cout], Random(r, cout, 0.05)));
        g.Node.Add(Node("Conv", name, [input, $"{name}_w", $"{name}_b"], [$"{name}_out"], n =>
        {
            n.SetInts("kernel_shape", [3, 3]);
            n.SetInts("pads", [1, 1, 1, 1]);
        }));
    }

    private static void Relu6(GraphProto g, int opset, string input, string output)
    {
        if (opset >= 11)
        {
            g.Initializer.Add(TensorData.FromFloats(output + "_min", [], [0f]));
            g.Initializer.Add(TensorData.FromFloats(output + "_max", [], [6f]));
            g.Node.Add(Node("Clip", output, [input, output + "_min", output + "_max"], [output]));
            return;
        }
        g.Node.Add(Node("Clip", output, [input], [output], n => { n.SetFloat("min", 0f); n.SetFloat("max", 6f); }));
    }
}

/// <summary>Opset-11 operators whose attributes became inputs (or whose meaning changed) at opset 13.</summary>
public static class OpsetLiftTestModels
{
    /// <summary>Input "x" [N,4,6,6], output "y" [N,2,6,6]: Split (split attribute), Unsqueeze/Squeeze (axes attribute),
    /// ReduceSum (axes attribute) and a Softmax over axis 1 of a 4-D value whose rank is not declared, which before
    /// opset 13 normalises over all of C*H*W.</summary>
    public static OnnxModel Opset11Attributes()
    {
        var g = new GraphProto { Name = "opset11_attributes" };
        g.Input.Add(Value("x", TensorProto.Types.DataType.Float, -1, 4, 6, 6));
        g.Output.Add(Value("y", TensorProto.Types.DataType.Float, -1, 2, 6, 6));
        g.Node.Add(Node("Split", "split", ["x"], ["a", "b"], n => { n.SetInt("axis", 1); n.SetInts("split", [1, 3]); }));
        g.Node.Add(Node("ReduceSum", "sum_b", ["b"], ["b_sum"], n => { n.SetInts("axes", [1]); n.SetInt("keepdims", 0); }));
        g.Node.Add(Node("Unsqueeze", "unsqueeze", ["b_sum"], ["b_4d"], n => n.SetInts("axes", [1])));
        g.Node.Add(Node("Squeeze", "squeeze", ["a"], ["a_3d"], n => n.SetInts("axes", [1])));
        g.Node.Add(Node("Unsqueeze", "unsqueeze_a", ["a_3d"], ["a_4d"], n => n.SetInts("axes", [1])));
        g.Node.Add(Node("Concat", "concat", ["a_4d", "b_4d"], ["ab"], n => n.SetInt("axis", 1)));
        g.Node.Add(Node("Softmax", "softmax", ["ab"], ["y"], n => n.SetInt("axis", 1)));
        var m = new ModelProto { IrVersion = 6, ProducerName = "paddle2onnx", Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 11 });
        return new OnnxModel(m);
    }
}
