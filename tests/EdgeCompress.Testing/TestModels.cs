using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Testing;

/// <summary>Small real ONNX models built in code with EdgeCompress.Onnx (opset 17), so tests need no downloads.</summary>
public static class TestModels
{
    /// <summary>
    /// A multi-layer perceptron: input "input" float [batch, width] through <paramref name="layers"/> × (MatMul, Add, Relu).
    /// <paramref name="seed"/> changes the weights (and so the bytes and checksum) without changing the shape.
    /// </summary>
    public static byte[] Mlp(int width = 64, int layers = 2, int seed = 1)
    {
        var random = new Random(seed);
        var graph = new GraphProto { Name = "mlp" };
        graph.Input.Add(Value("input", ["batch", width]));
        var current = "input";
        for (var layer = 0; layer < layers; layer++)
        {
            var weights = Enumerable.Range(0, width * width).Select(_ => (float)((random.NextDouble() - 0.5) * 0.2)).ToArray();
            var bias = Enumerable.Range(0, width).Select(_ => (float)(random.NextDouble() * 0.01)).ToArray();
            graph.Initializer.Add(TensorData.FromFloats($"w{layer}", [width, width], weights));
            graph.Initializer.Add(TensorData.FromFloats($"b{layer}", [width], bias));
            graph.Node.Add(Node("MatMul", [current, $"w{layer}"], $"mm{layer}"));
            graph.Node.Add(Node("Add", [$"mm{layer}", $"b{layer}"], $"add{layer}"));
            graph.Node.Add(Node("Relu", [$"add{layer}"], $"relu{layer}"));
            current = $"relu{layer}";
        }

        graph.Output.Add(Value(current, ["batch", width]));
        var model = new ModelProto { IrVersion = 8, ProducerName = "edgecompress-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return new OnnxModel(model).ToBytes();
    }

    /// <summary>A well-formed ONNX file whose one node uses <paramref name="op"/>; with an operator no runtime has, ONNX Runtime refuses it.</summary>
    public static byte[] SingleNode(string op)
    {
        var graph = new GraphProto { Name = "single" };
        graph.Input.Add(Value("input", ["batch", 8]));
        graph.Node.Add(Node(op, ["input"], "output"));
        graph.Output.Add(Value("output", ["batch", 8]));
        var model = new ModelProto { IrVersion = 8, ProducerName = "edgecompress-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return new OnnxModel(model).ToBytes();
    }

    /// <summary>Relu over input "x", float [batch, n]: both dimensions come from the request's inputShapes.</summary>
    public static byte[] Wide()
    {
        var graph = new GraphProto { Name = "wide" };
        graph.Input.Add(Value("x", ["batch", "n"]));
        graph.Node.Add(Node("Relu", ["x"], "y"));
        graph.Output.Add(Value("y", ["batch", "n"]));
        return Model(graph);
    }

    /// <summary>x * float(mask): input "x" float [batch, n] and input "mask" uint8 [batch, n], for per-type input sizes.</summary>
    public static byte[] Masked()
    {
        var graph = new GraphProto { Name = "masked" };
        graph.Input.Add(Value("x", ["batch", "n"]));
        graph.Input.Add(Value("mask", ["batch", "n"], TensorProto.Types.DataType.Uint8));
        var cast = Node("Cast", ["mask"], "maskf");
        cast.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (long)TensorProto.Types.DataType.Float });
        graph.Node.Add(cast);
        graph.Node.Add(Node("Mul", ["x", "maskf"], "y"));
        graph.Output.Add(Value("y", ["batch", "n"]));
        return Model(graph);
    }

    /// <summary>A real convolution model from Debian's libonnx-testdata.</summary>
    public static string ConvModelPath => "/usr/share/libonnx-testdata/data/pytorch-converted/test_Conv2d/model.onnx";

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));

    private static NodeProto Node(string op, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }

    private static byte[] Model(GraphProto graph)
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "edgecompress-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return new OnnxModel(model).ToBytes();
    }

    private static ValueInfoProto Value(string name, object[] dims, TensorProto.Types.DataType type = TensorProto.Types.DataType.Float)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim is string symbol ? new TensorShapeProto.Types.Dimension { DimParam = symbol } : new TensorShapeProto.Types.Dimension { DimValue = (int)dim });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}
