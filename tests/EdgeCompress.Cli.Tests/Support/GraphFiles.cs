using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Cli.Tests.Support;

/// <summary>Writes a hand-built graph as an opset-17 model file, for tests that give the CLI a model.</summary>
internal static class GraphFiles
{
    public static string Save(GraphProto graph, string dir, string fileName)
    {
        var m = new ModelProto { IrVersion = 8, Graph = graph };
        m.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });
        var path = Path.Combine(dir, fileName);
        new OnnxModel(m).Save(path);
        return path;
    }
}
