using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using static EdgeCompress.Compression.Tests.TestModels;

namespace EdgeCompress.Compression.Tests;

/// <summary>Models shaped like other toolchains' exports, for the quantizer: MobileNetV3-style blocks (depthwise
/// conv, HardSwish, HardSigmoid squeeze-excite), Resize, dynamic batch/height/width, any opset from 11 to 21.</summary>
public static class QuantTestModels
{
    /// <summary>Input "input" [N,3,H,W] (all three dynamic), output "logits" [N,10].</summary>
    public static OnnxModel MobileBlock(int opset, int seed = 5)
    {
        var r = new Random(seed);
        var g = new GraphProto { Name = $"mobile_block_opset{opset}" };
        var input = Value("input", TensorProto.Types.DataType.Float, -1, 3, -1, -1);
        input.Type.TensorType.Shape.Dim[2].DimParam = "H";
        input.Type.TensorType.Shape.Dim[3].DimParam = "W";
        g.Input.Add(input);
        g.Output.Add(Value("logits", TensorProto.Types.DataType.Float, -1, 10));
        Conv(g, r, "stem", "input", 3, 16, 3, stride: 2);
        HardSwish(g, opset, "stem_out", "stem_hs");
        Conv(g, r, "dw", "stem_hs", 16, 16, 3, group: 16);
        g.Node.Add(Node("Relu", "dw_relu", ["dw_out"], ["dw_relu"]));
        // Squeeze-excite: GAP -> 1x1 reduce -> ReLU -> 1x1 expand -> HardSigmoid -> scale the channels.
        g.Node.Add(Node("GlobalAveragePool", "se_pool", ["dw_relu"], ["se_pool"]));
        Conv(g, r, "se_reduce", "se_pool", 16, 8, 1);
        g.Node.Add(Node("Relu", "se_relu", ["se_reduce_out"], ["se_relu"]));
        Conv(g, r, "se_expand", "se_relu", 8, 16, 1);
        g.Node.Add(Node("HardSigmoid", "se_gate", ["se_expand_out"], ["se_gate"], n => { n.SetFloat("alpha", 1f / 6); n.SetFloat("beta", 0.5f); }));
        g.Node.Add(Node("Mul", "se_scale", ["dw_relu", "se_gate"], ["se_out"]));
        Conv(g, r, "project", "se_out", 16, 24, 1);
        g.Initializer.Add(TensorData.FromFloats("resize_scales", [4], [1, 1, 2, 2]));
        if (opset >= 13)
        {
            g.Node.Add(Node("Resize", "upsample", ["project_out", "", "resize_scales"], ["up"], n => n.SetString("mode", "nearest")));
        }
        else
        {
            g.Initializer.Add(TensorData.FromFloats("resize_roi", [0], []));
            g.Node.Add(Node("Resize", "upsample", ["project_out", "resize_roi", "resize_scales"], ["up"], n => n.SetString("mode", "nearest")));
        }
        Conv(g, r, "head", "up", 24, 32, 3);
        g.Node.Add(Node("Relu", "head_relu", ["head_out"], ["head_relu"]));
        g.Node.Add(Node("GlobalAveragePool", "gap", ["head_relu"], ["gap"]));
        g.Node.Add(Node("Flatten", "flatten", ["gap"], ["flat"], n => n.SetInt("axis", 1)));
        g.Initializer.Add(TensorData.FromFloats("fc_w", [10, 32], Random(r, 320, 0.2)));
        g.Initializer.Add(TensorData.FromFloats("fc_b", [10], Random(r, 10, 0.1)));
        g.Node.Add(Node("Gemm", "fc", ["flat", "fc_w", "fc_b"], ["logits"], n => n.SetInt("transB", 1)));
        return Wrap(g, opset);
    }

    /// <summary>A VGG-like conv stack over [N,3,64,64]: four 3x3 Conv-BN-ReLU layers (32, 64, 64, 128 channels) with
    /// max pooling, then GAP and a Gemm to 10 classes. Conv-heavy: the model the latency bar is measured on.</summary>
    public static OnnxModel ConvStack(int seed = 9)
    {
        var r = new Random(seed);
        var g = new GraphProto { Name = "conv_stack" };
        g.Input.Add(Value("input", TensorProto.Types.DataType.Float, -1, 3, 64, 64));
        g.Output.Add(Value("logits", TensorProto.Types.DataType.Float, -1, 10));
        var prev = "input";
        var cin = 3;
        var widths = new[] { 32, 64, 64, 128 };
        for (var i = 0; i < widths.Length; i++)
        {
            var name = $"conv{i}";
            Conv(g, r, name, prev, cin, widths[i], 3);
            g.Initializer.Add(TensorData.FromFloats($"{name}_s", [widths[i]], Enumerable.Range(0, widths[i]).Select(_ => 0.5f + (float)r.NextDouble()).ToArray()));
            g.Initializer.Add(TensorData.FromFloats($"{name}_b2", [widths[i]], Random(r, widths[i], 0.1)));
            g.Initializer.Add(TensorData.FromFloats($"{name}_m", [widths[i]], Random(r, widths[i], 0.1)));
            g.Initializer.Add(TensorData.FromFloats($"{name}_v", [widths[i]], Enumerable.Range(0, widths[i]).Select(_ => 0.5f + (float)r.NextDouble()).ToArray()));
            g.Node.Add(Node("BatchNormalization", $"{name}_bn", [$"{name}_out", $"{name}_s", $"{name}_b2", $"{name}_m", $"{name}_v"], [$"{name}_bn"]));
            g.Node.Add(Node("Relu", $"{name}_relu", [$"{name}_bn"], [$"{name}_relu"]));
            prev = $"{name}_relu";
            if (i % 2 == 1)
            {
                g.Node.Add(Node("MaxPool", $"pool{i}", [prev], [$"pool{i}"], n => { n.SetInts("kernel_shape", [2, 2]); n.SetInts("strides", [2, 2]); }));
                prev = $"pool{i}";
            }
            cin = widths[i];
        }
        g.Node.Add(Node("GlobalAveragePool", "gap", [prev], ["gap"]));
        g.Node.Add(Node("Flatten", "flatten", ["gap"], ["flat"], n => n.SetInt("axis", 1)));
        g.Initializer.Add(TensorData.FromFloats("fc_w", [10, cin], Random(r, 10 * cin, 0.1)));
        g.Initializer.Add(TensorData.FromFloats("fc_b", [10], Random(r, 10, 0.1)));
        g.Node.Add(Node("Gemm", "fc", ["flat", "fc_w", "fc_b"], ["logits"], n => n.SetInt("transB", 1)));
        return Wrap(g, 17);
    }

    private static void Conv(GraphProto g, Random r, string name, string input, int cin, int cout, int k, int stride = 1, int group = 1)
    {
        var perGroup = cin / group;
        g.Initializer.Add(TensorData.FromFloats($"{name}_w", [cout, perGroup, k, k], Random(r, cout * perGroup * k * k, Math.Sqrt(2.0 / (perGroup * k * k)))));
        g.Initializer.Add(TensorData.FromFloats($"{name}_b", [cout], Random(r, cout, 0.05)));
        g.Node.Add(Node("Conv", name, [input, $"{name}_w", $"{name}_b"], [$"{name}_out"], n =>
        {
            n.SetInts("kernel_shape", [k, k]);
            n.SetInts("pads", [k / 2, k / 2, k / 2, k / 2]);
            n.SetInts("strides", [stride, stride]);
            n.SetInt("group", group);
        }));
    }

    private static void HardSwish(GraphProto g, int opset, string input, string output)
    {
        if (opset >= 14)
        {
            g.Node.Add(Node("HardSwish", output + "_op", [input], [output]));
            return;
        }
        // Before opset 14 exporters write x * HardSigmoid(x) with alpha 1/6.
        g.Node.Add(Node("HardSigmoid", output + "_gate", [input], [output + "_g"], n => { n.SetFloat("alpha", 1f / 6); n.SetFloat("beta", 0.5f); }));
        g.Node.Add(Node("Mul", output + "_mul", [input, output + "_g"], [output]));
    }

    private static OnnxModel Wrap(GraphProto g, int opset)
    {
        var m = new ModelProto { IrVersion = opset >= 21 ? 10 : opset >= 19 ? 9 : opset >= 15 ? 8 : 7, ProducerName = "edgecompress-tests", Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return new OnnxModel(m);
    }
}
