using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Cli.Tests;

/// <summary>Real Fashion-MNIST models for the CLI tests, built in code.</summary>
internal static class QuantizeCliModels
{
    /// <summary>
    /// A nearest-centroid classifier written as Conv (1x1 identity scale) -> Flatten -> Gemm, with weights = class mean
    /// image minus the overall mean (from 2000 training images): about 60-70 % top-1, a real accuracy to guard.
    /// With <paramref name="offset"/> > 0 an Add of that value to every logit follows: harmless in float, but its
    /// int8 range then has no resolution left for the class differences, so quantizing the Add destroys accuracy.
    /// </summary>
    public static OnnxModel Centroid(float offset = 0)
    {
        var sums = new double[10, 784];
        var counts = new int[10];
        var mean = new double[784];
        var total = 0;
        foreach (var (pixels, label) in FashionMnist.Read("train", 2000))
        {
            counts[label]++;
            total++;
            for (var i = 0; i < 784; i++)
            {
                sums[label, i] += pixels[i];
                mean[i] += pixels[i];
            }
        }
        var w = new float[10 * 784];
        var b = new float[10];
        for (var c = 0; c < 10; c++)
        {
            double norm = 0;
            for (var i = 0; i < 784; i++)
            {
                var centroid = sums[c, i] / Math.Max(1, counts[c]);
                w[(c * 784) + i] = (float)(centroid - (mean[i] / total));
                norm += (centroid * centroid) - ((mean[i] / total) * (mean[i] / total));
            }
            // Nearest centroid: argmax of x.mu_c - |mu_c|^2 / 2 (shifted by the common mean).
            b[c] = (float)(-norm / 2);
        }
        var g = new GraphProto { Name = "centroid" };
        g.Input.Add(Value("input", -1, 1, 28, 28));
        g.Output.Add(Value("logits", -1, 10));
        g.Initializer.Add(TensorData.FromFloats("scale_w", [1, 1, 1, 1], [1f]));
        g.Node.Add(NodeAttributes.Create("Conv", "scale", ["input", "scale_w"], ["scaled"]));
        g.Node.Add(NodeAttributes.Create("Flatten", "flatten", ["scaled"], ["flat"]));
        g.Initializer.Add(TensorData.FromFloats("fc_w", [10, 784], w));
        g.Initializer.Add(TensorData.FromFloats("fc_b", [10], b));
        var fc = NodeAttributes.Create("Gemm", "fc", ["flat", "fc_w", "fc_b"], [offset > 0 ? "raw_logits" : "logits"]);
        fc.SetInt("transB", 1);
        g.Node.Add(fc);
        if (offset > 0)
        {
            // The offset comes from a second (all-zero-weight) Gemm so the Add sees two activations and is quantized.
            g.Initializer.Add(TensorData.FromFloats("offset_w", [10, 784], new float[7840]));
            g.Initializer.Add(TensorData.FromFloats("offset_b", [10], Enumerable.Repeat(offset, 10).ToArray()));
            var off = NodeAttributes.Create("Gemm", "offset_fc", ["flat", "offset_w", "offset_b"], ["offset"]);
            off.SetInt("transB", 1);
            g.Node.Add(off);
            g.Node.Add(NodeAttributes.Create("Add", "offset_add", ["raw_logits", "offset"], ["logits"]));
        }
        var m = new ModelProto { IrVersion = 8, ProducerName = "edgecompress-cli-tests", Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return new OnnxModel(m);
    }

    /// <summary>Conv -> Relu -> Conv -> Relu [-> nearest 2x Resize with <paramref name="resizeMode"/>] -> Conv over
    /// "image" [N,3,16,16], at <paramref name="opset"/> (11 or later with a Resize): nothing for dynamic mode to take.</summary>
    public static OnnxModel ConvOnly(int opset = 17, string? resizeMode = null)
    {
        var r = new Random(8);
        var g = new GraphProto { Name = "conv_only" };
        var size = resizeMode is null ? 16 : 32;
        g.Input.Add(Value("image", -1, 3, 16, 16));
        g.Output.Add(Value("features", -1, 8, size, size));
        var prev = "image";
        var cin = 3;
        for (var i = 0; i < 3; i++)
        {
            var w = new float[8 * cin * 9];
            for (var k = 0; k < w.Length; k++)
            {
                w[k] = (float)((r.NextDouble() - 0.5) * 0.5);
            }
            g.Initializer.Add(TensorData.FromFloats($"conv{i}_w", [8, cin, 3, 3], w));
            g.Initializer.Add(TensorData.FromFloats($"conv{i}_b", [8], Enumerable.Range(0, 8).Select(k => 0.01f * k).ToArray()));
            var conv = NodeAttributes.Create("Conv", $"conv{i}", [prev, $"conv{i}_w", $"conv{i}_b"], [i == 2 ? "features" : $"conv{i}_out"]);
            conv.SetInts("kernel_shape", [3, 3]);
            conv.SetInts("pads", [1, 1, 1, 1]);
            g.Node.Add(conv);
            if (i < 2)
            {
                g.Node.Add(NodeAttributes.Create("Relu", $"relu{i}", [$"conv{i}_out"], [$"relu{i}"]));
                prev = $"relu{i}";
            }
            if (i == 1 && resizeMode is not null)
            {
                g.Initializer.Add(TensorData.FromFloats("roi", [0], []));
                g.Initializer.Add(TensorData.FromFloats("scales", [4], [1, 1, 2, 2]));
                var resize = NodeAttributes.Create("Resize", "upsample", [prev, "roi", "scales"], ["up"]);
                resize.SetString("mode", "nearest");
                resize.SetString("coordinate_transformation_mode", resizeMode);
                g.Node.Add(resize);
                prev = "up";
            }
            cin = 8;
        }
        var m = new ModelProto { IrVersion = 7, ProducerName = "paddle2onnx", Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return new OnnxModel(m);
    }

    /// <summary>One MatMul by a 4x4 constant: too small for int8 storage to make up for the nodes dynamic mode adds.</summary>
    public static OnnxModel TinyMatMul()
    {
        var g = new GraphProto { Name = "tiny_matmul" };
        g.Input.Add(Value("x", -1, 4));
        g.Output.Add(Value("y", -1, 4));
        g.Initializer.Add(TensorData.FromFloats("w", [4, 4], Enumerable.Range(0, 16).Select(k => (k % 5) - 2f).ToArray()));
        g.Node.Add(NodeAttributes.Create("MatMul", "mm", ["x", "w"], ["y"]));
        var m = new ModelProto { IrVersion = 8, Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return new OnnxModel(m);
    }

    private static ValueInfoProto Value(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } };
    }
}
