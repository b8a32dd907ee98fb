using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Cli.Tests;

/// <summary>A Fashion-MNIST shaped CNN (Conv-BN-Relu-MaxPool, Conv-BN-Relu, GAP, Flatten, Gemm) written to a temp
/// folder for the prune command tests.</summary>
internal static class PruneCliTestModel
{
    public static string Write(string folder, int seed = 7)
    {
        var r = new Random(seed);
        var g = new GraphProto { Name = "cnn" };
        g.Input.Add(Value("input", -1, 1, 28, 28));
        g.Output.Add(Value("logits", -1, 10));
        ConvBnRelu(g, r, "input", "c1", 1, 16);
        g.Node.Add(Node("MaxPool", "pool", ["c1_relu"], ["p1"], n => { n.SetInts("kernel_shape", [2, 2]); n.SetInts("strides", [2, 2]); }));
        ConvBnRelu(g, r, "p1", "c2", 16, 32);
        g.Node.Add(Node("GlobalAveragePool", "gap", ["c2_relu"], ["gap"]));
        g.Node.Add(Node("Flatten", "flatten", ["gap"], ["flat"]));
        g.Initializer.Add(Tensor(r, "fc_w", 10, 32));
        g.Initializer.Add(Tensor(r, "fc_b", 10));
        g.Node.Add(Node("Gemm", "fc", ["flat", "fc_w", "fc_b"], ["logits"], n => n.SetInt("transB", 1)));
        var m = new ModelProto { IrVersion = 8, Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "cnn.onnx");
        new OnnxModel(m).Save(path);
        return path;
    }

    private static void ConvBnRelu(GraphProto g, Random r, string x, string name, int cin, int cout)
    {
        g.Initializer.Add(Tensor(r, name + "_w", cout, cin, 3, 3));
        g.Initializer.Add(Tensor(r, name + "_b", cout));
        g.Node.Add(Node("Conv", name, [x, name + "_w", name + "_b"], [name + "_out"], n => n.SetInts("pads", [1, 1, 1, 1])));
        foreach (var p in new[] { "scale", "bias", "mean", "var" })
        {
            var t = Tensor(r, $"{name}_{p}", cout);
            if (p is "scale" or "var")
            {
                TensorData.SetValues<float>(t, [cout], TensorData.ToFloats(t).Select(v => 1 + Math.Abs(v)).ToArray());
            }
            g.Initializer.Add(t);
        }
        g.Node.Add(Node("BatchNormalization", name + "_bn", [name + "_out", name + "_scale", name + "_bias", name + "_mean", name + "_var"], [name + "_bn"]));
        g.Node.Add(Node("Relu", name + "_act", [name + "_bn"], [name + "_relu"]));
    }

    private static TensorProto Tensor(Random r, string name, params long[] dims)
    {
        var n = (int)dims.Aggregate(1L, (a, b) => a * b);
        var fanIn = dims.Length > 1 ? dims.Skip(1).Aggregate(1L, (a, b) => a * b) : 4;
        return TensorData.FromFloats(name, dims, Enumerable.Range(0, n).Select(_ => (float)((r.NextDouble() - 0.5) * 2 / Math.Sqrt(fanIn))).ToArray());
    }

    private static NodeProto Node(string op, string name, string[] inputs, string[] outputs, Action<NodeProto>? setup = null)
    {
        var n = NodeAttributes.Create(op, name, inputs, outputs);
        setup?.Invoke(n);
        return n;
    }

    private static ValueInfoProto Value(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
    }
}
