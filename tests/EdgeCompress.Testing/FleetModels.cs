using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Testing;

/// <summary>Small real ONNX models built in code (opset 17); the seed changes the weights and so the SHA-256.</summary>
public static class FleetModels
{
    /// <summary>Writes an MLP (input "input" float [batch, width], layers of MatMul+Add+Relu) to a temp file.</summary>
    public static string WriteMlp(string folder, string fileName = "mlp.onnx", int width = 32, int layers = 2, int seed = 1)
    {
        var random = new Random(seed);
        var graph = new GraphProto { Name = "mlp" };
        graph.Input.Add(Value("input", width));
        var current = "input";
        for (var layer = 0; layer < layers; layer++)
        {
            graph.Initializer.Add(TensorData.FromFloats($"w{layer}", [width, width], Enumerable.Range(0, width * width).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray()));
            graph.Initializer.Add(TensorData.FromFloats($"b{layer}", [width], Enumerable.Range(0, width).Select(_ => (float)random.NextDouble()).ToArray()));
            graph.Node.Add(Node("MatMul", [current, $"w{layer}"], $"mm{layer}"));
            graph.Node.Add(Node("Add", [$"mm{layer}", $"b{layer}"], $"add{layer}"));
            graph.Node.Add(Node("Relu", [$"add{layer}"], $"relu{layer}"));
            current = $"relu{layer}";
        }

        graph.Output.Add(Value(current, width));
        var model = new ModelProto { IrVersion = 8, ProducerName = "edgecompress-fleet-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, fileName);
        File.WriteAllBytes(path, new OnnxModel(model).ToBytes());
        return path;
    }

    private static NodeProto Node(string op, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }

    private static ValueInfoProto Value(string name, int width)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = width });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
