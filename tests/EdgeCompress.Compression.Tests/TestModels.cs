using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Tests;

/// <summary>Small real models built in code with seeded random weights, for tests of the passes.</summary>
public static class TestModels
{
    /// <summary>Conv-BN-Relu-MaxPool, Conv-BN-Relu, GlobalAveragePool, Flatten, Gemm: a Fashion-MNIST shaped CNN
    /// (input "input" [N,1,28,28], output "logits" [N,10]).</summary>
    public static OnnxModel SmallCnn(int seed = 7, int c1 = 16, int c2 = 32)
    {
        var r = new Random(seed);
        var g = new GraphProto { Name = "small_cnn" };
        g.Input.Add(Value("input", TensorProto.Types.DataType.Float, -1, 1, 28, 28));
        g.Output.Add(Value("logits", TensorProto.Types.DataType.Float, -1, 10));
        AddConvBnRelu(g, r, "input", "c1", 1, c1);
        g.Node.Add(Node("MaxPool", "pool1", ["c1_relu"], ["p1"], n => { n.SetInts("kernel_shape", [2, 2]); n.SetInts("strides", [2, 2]); }));
        AddConvBnRelu(g, r, "p1", "c2", c1, c2);
        g.Node.Add(Node("GlobalAveragePool", "gap", ["c2_relu"], ["gap_out"]));
        g.Node.Add(Node("Flatten", "flatten", ["gap_out"], ["flat"], n => n.SetInt("axis", 1)));
        g.Initializer.Add(TensorData.FromFloats("fc_w", [10, c2], Random(r, 10 * c2, 1.0 / Math.Sqrt(c2))));
        g.Initializer.Add(TensorData.FromFloats("fc_b", [10], Random(r, 10, 0.1)));
        g.Node.Add(Node("Gemm", "fc", ["flat", "fc_w", "fc_b"], ["logits"], n => n.SetInt("transB", 1)));
        return Wrap(g);
    }

    /// <summary>A 3-layer MLP over a flat input "x" [N,in] to "y" [N,out], with Gemm layers.</summary>
    public static OnnxModel Mlp(int inputs = 256, int hidden = 512, int outputs = 10, int seed = 3)
    {
        var r = new Random(seed);
        var g = new GraphProto { Name = "mlp" };
        g.Input.Add(Value("x", TensorProto.Types.DataType.Float, -1, inputs));
        g.Output.Add(Value("y", TensorProto.Types.DataType.Float, -1, outputs));
        var prev = "x";
        var width = inputs;
        var layers = new[] { hidden, hidden, outputs };
        for (var i = 0; i < layers.Length; i++)
        {
            var w = $"fc{i}_w";
            g.Initializer.Add(TensorData.FromFloats(w, [layers[i], width], Random(r, layers[i] * width, 1.0 / Math.Sqrt(width))));
            g.Initializer.Add(TensorData.FromFloats($"fc{i}_b", [layers[i]], Random(r, layers[i], 0.05)));
            var outName = i == layers.Length - 1 ? "y" : $"fc{i}_out";
            g.Node.Add(Node("Gemm", $"fc{i}", [prev, w, $"fc{i}_b"], [outName], n => n.SetInt("transB", 1)));
            if (i < layers.Length - 1)
            {
                g.Node.Add(Node("Relu", $"relu{i}", [outName], [$"relu{i}_out"]));
                outName = $"relu{i}_out";
            }
            prev = outName;
            width = layers[i];
        }
        return Wrap(g);
    }

    private static void AddConvBnRelu(GraphProto g, Random r, string input, string name, int cin, int cout)
    {
        g.Initializer.Add(TensorData.FromFloats($"{name}_w", [cout, cin, 3, 3], Random(r, cout * cin * 9, Math.Sqrt(2.0 / (cin * 9)))));
        g.Initializer.Add(TensorData.FromFloats($"{name}_b", [cout], Random(r, cout, 0.05)));
        g.Node.Add(Node("Conv", name, [input, $"{name}_w", $"{name}_b"], [$"{name}_out"], n =>
        {
            n.SetInts("kernel_shape", [3, 3]);
            n.SetInts("pads", [1, 1, 1, 1]);
        }));
        g.Initializer.Add(TensorData.FromFloats($"{name}_bn_scale", [cout], Enumerable.Range(0, cout).Select(_ => 0.5f + (float)r.NextDouble()).ToArray()));
        g.Initializer.Add(TensorData.FromFloats($"{name}_bn_bias", [cout], Random(r, cout, 0.1)));
        g.Initializer.Add(TensorData.FromFloats($"{name}_bn_mean", [cout], Random(r, cout, 0.1)));
        g.Initializer.Add(TensorData.FromFloats($"{name}_bn_var", [cout], Enumerable.Range(0, cout).Select(_ => 0.5f + (float)r.NextDouble()).ToArray()));
        g.Node.Add(Node("BatchNormalization", $"{name}_bn",
            [$"{name}_out", $"{name}_bn_scale", $"{name}_bn_bias", $"{name}_bn_mean", $"{name}_bn_var"], [$"{name}_bn_out"]));
        g.Node.Add(Node("Relu", $"{name}_relu", [$"{name}_bn_out"], [$"{name}_relu"]));
    }

    /// <summary>Seeded normal-ish values scaled by <paramref name="scale"/>.</summary>
    public static float[] Random(Random r, int n, double scale)
    {
        var v = new float[n];
        for (var i = 0; i < n; i++)
        {
            // Sum of uniforms: cheap, bell-shaped, deterministic.
            v[i] = (float)(((r.NextDouble() + r.NextDouble() + r.NextDouble()) - 1.5) * 2 * scale);
        }
        return v;
    }

    /// <summary>A node in the default domain with optional attribute setup.</summary>
    public static NodeProto Node(string op, string name, string[] inputs, string[] outputs, Action<NodeProto>? setup = null)
    {
        var n = NodeAttributes.Create(op, name, inputs, outputs);
        setup?.Invoke(n);
        return n;
    }

    /// <summary>A tensor value info; -1 dims become the symbolic dimension "N".</summary>
    public static ValueInfoProto Value(string name, TensorProto.Types.DataType type, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }

    private static OnnxModel Wrap(GraphProto g)
    {
        var m = new ModelProto { IrVersion = 8, ProducerName = "edgecompress-tests", Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return new OnnxModel(m);
    }
}
