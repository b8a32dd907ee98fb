using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.DaemonBench;

/// <summary>The default model to measure: an MLP heavy enough (~millisecond per inference) that timer noise is small.</summary>
internal static class BenchModels
{
    public static byte[] Mlp(int batch, int width, int layers)
    {
        var random = new Random(3);
        var graph = new GraphProto { Name = "bench-mlp" };
        graph.Input.Add(Value("input", batch, width));
        var current = "input";
        for (var layer = 0; layer < layers; layer++)
        {
            var weights = Enumerable.Range(0, width * width).Select(_ => (float)((random.NextDouble() - 0.5) * 0.1)).ToArray();
            graph.Initializer.Add(TensorData.FromFloats($"w{layer}", [width, width], weights));
            graph.Initializer.Add(TensorData.FromFloats($"b{layer}", [width], new float[width]));
            graph.Node.Add(Node("MatMul", [current, $"w{layer}"], $"mm{layer}"));
            graph.Node.Add(Node("Add", [$"mm{layer}", $"b{layer}"], $"add{layer}"));
            graph.Node.Add(Node("Relu", [$"add{layer}"], $"relu{layer}"));
            current = $"relu{layer}";
        }

        graph.Output.Add(Value(current, batch, width));
        var model = new ModelProto { IrVersion = 8, ProducerName = "edgecompress-bench", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return new OnnxModel(model).ToBytes();
    }

    private static NodeProto Node(string op, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }

    private static ValueInfoProto Value(string name, int batch, int width)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = batch });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = width });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
