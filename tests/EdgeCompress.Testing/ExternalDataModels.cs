using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using Google.Protobuf;

namespace EdgeCompress.Testing;

/// <summary>Models whose weights live in ONNX external data files, written the way exporters write them: the graph
/// in MODEL.onnx, each initializer's bytes in a data file beside it, named by location/offset/length entries.</summary>
public static class ExternalDataModels
{
    /// <summary>Writes <see cref="FleetModels.WriteMlp"/>'s MLP with every weight matrix moved out, spread over
    /// <paramref name="dataFiles"/> files: "NAME.data", then "NAME.1.data", ... Returns the model's path.</summary>
    public static string WriteMlp(string folder, string fileName, int dataFiles, int width = 128, int seed = 1)
    {
        var inline = FleetModels.WriteMlp(folder, fileName + ".inline", width, layers: 2, seed);
        var model = OnnxModel.Load(inline);
        File.Delete(inline);
        var streams = Enumerable.Range(0, dataFiles).Select(i => File.Create(Path.Combine(folder, DataFileName(fileName, i)))).ToList();
        try
        {
            var index = 0;
            foreach (var tensor in model.Proto.Graph.Initializer.Where(t => t.Dims.Count == 2))
            {
                var stream = streams[index % dataFiles];
                var bytes = tensor.RawData.ToByteArray();
                MoveOut(tensor, DataFileName(fileName, index % dataFiles), stream.Position, bytes.Length);
                stream.Write(bytes);
                index++;
            }
        }
        finally
        {
            streams.ForEach(s => s.Dispose());
        }

        var path = Path.Combine(folder, fileName);
        File.WriteAllBytes(path, model.Proto.ToByteArray());
        return path;
    }

    /// <summary>Writes a graph whose two float initializers of <paramref name="elements"/> each point into one sparse
    /// data file (no disk blocks used): a model too big to be one protobuf file.</summary>
    public static string WriteHuge(string folder, string fileName, long elements)
    {
        var graph = new GraphProto { Name = "huge" };
        var dataName = DataFileName(fileName, 0);
        for (var i = 0; i < 2; i++)
        {
            var tensor = new TensorProto { Name = $"w{i}", DataType = (int)TensorProto.Types.DataType.Float };
            tensor.Dims.Add(elements);
            MoveOut(tensor, dataName, i * elements * 4, elements * 4);
            graph.Initializer.Add(tensor);
        }

        var node = new NodeProto { OpType = "Add", Name = "sum" };
        node.Input.AddRange(["w0", "w1"]);
        node.Output.Add("sum");
        graph.Node.Add(node);
        graph.Output.Add(new ValueInfoProto { Name = "sum", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });
        var model = new ModelProto { IrVersion = 8, ProducerName = "edgecompress-fleet-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        using (var data = File.Create(Path.Combine(folder, dataName)))
        {
            data.SetLength(2 * elements * 4);
        }

        var path = Path.Combine(folder, fileName);
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    public static string DataFileName(string modelFileName, int index) => index == 0 ? $"{modelFileName}.data" : $"{modelFileName}.{index}.data";

    private static void MoveOut(TensorProto tensor, string location, long offset, long length)
    {
        tensor.ClearRawData();
        tensor.DataLocation = TensorProto.Types.DataLocation.External;
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }
}
