using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Evaluation;

/// <summary>Expected outputs stored beside the inputs in ONNX test_data_set_N folders (output_K.pb), in the same
/// order <see cref="DataSpec.Open"/> yields the inputs.</summary>
public static class StoredOutputs
{
    /// <summary>One list of output tensors (as floats) per data set; empty lists where a set stores none.</summary>
    public static IEnumerable<IReadOnlyList<float[]>> Enumerate(DataSpec data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Kind != DataKind.TensorFolder)
        {
            yield break;
        }
        var sets = Directory.GetFiles(data.Path!, "input_*.pb").Length > 0
            ? [data.Path!]
            : Directory.GetDirectories(data.Path!, "test_data_set_*").Order(StringComparer.Ordinal).ToArray();
        var taken = 0;
        foreach (var set in sets)
        {
            if (data.Count is { } c && taken >= c)
            {
                yield break;
            }
            taken++;
            var files = Directory.GetFiles(set, "output_*.pb").OrderBy(f => f.Length).ThenBy(f => f, StringComparer.Ordinal).ToArray();
            var outputs = new List<float[]>(files.Length);
            foreach (var file in files)
            {
                try
                {
                    using var fs = File.OpenRead(file);
                    var t = TensorProto.Parser.ParseFrom(fs);
                    outputs.Add(DataSpec.IsFloat(TensorData.TypeOf(t)) ? TensorData.ToFloats(t) : Array.ConvertAll(TensorData.ToInt64s(t), v => (float)v));
                }
                catch (Google.Protobuf.InvalidProtocolBufferException e)
                {
                    throw new DataException($"{file}: not a readable TensorProto ({e.Message})", e);
                }
            }
            yield return outputs;
        }
    }
}
