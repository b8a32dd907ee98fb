using System.Globalization;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Data;

/// <summary>A folder of ONNX test_data_set_N/input_K.pb tensors (or one such set), as the ONNX model zoo ships
/// test data; labelled when the folder has a labels.csv keyed by set folder name ("SET#ROW" for batched sets).</summary>
internal static class PbTensorFolder
{
    /// <summary>One sample per set, in ordinal order of the set folders; @N keeps the first N sets.</summary>
    public static IEnumerable<Sample> Samples(string specText, DataFolder folder, int? count, IReadOnlyList<InputSpec> inputs)
    {
        var path = folder.Path;
        var sets = Directory.GetFiles(path, "input_*.pb").Length > 0
            ? [path]
            : Directory.GetDirectories(path, "test_data_set_*").Order(StringComparer.Ordinal).ToArray();
        if (sets.Length == 0)
        {
            throw new DataException($"data spec '{specText}': no test_data_set_N folders or input_K.pb files in {path}");
        }
        var label = folder.CsvLookup();
        var taken = 0;
        foreach (var set in sets)
        {
            if (count is { } c && taken >= c)
            {
                yield break;
            }
            var files = Directory.GetFiles(set, "input_*.pb")
                .OrderBy(f => int.TryParse(Path.GetFileNameWithoutExtension(f)["input_".Length..], CultureInfo.InvariantCulture, out var k) ? k : int.MaxValue)
                .ToArray();
            if (files.Length != inputs.Count)
            {
                throw new DataException($"{set}: holds {files.Length} input tensors but the model has {inputs.Count} inputs");
            }
            var tensors = new List<SampleTensor>(files.Length);
            for (var i = 0; i < files.Length; i++)
            {
                tensors.Add(ReadTensorFile(files[i], inputs, i));
            }
            taken++;
            var name = set == path ? Path.GetFileName(path) : Path.GetFileName(set);
            var rows = tensors[0].Dims.Length > 0 ? tensors[0].Dims[0] : 1;
            var sources = rows == 1 ? [name] : Enumerable.Range(0, (int)rows).Select(r => string.Create(CultureInfo.InvariantCulture, $"{name}#{r}")).ToArray();
            var labels = folder.LabelsCsv is null ? null : sources.Select(s => label(s)!.Value).ToArray();
            yield return new Sample(tensors, labels) { Sources = sources };
        }
    }

    /// <summary>Reads one TensorProto .pb file and checks it against the model input it will feed.</summary>
    public static SampleTensor ReadTensorFile(string file, IReadOnlyList<InputSpec> inputs, int position)
    {
        TensorProto t;
        try
        {
            using var fs = File.OpenRead(file);
            t = TensorProto.Parser.ParseFrom(fs);
            TensorData.CheckConsistent(t);
        }
        catch (Google.Protobuf.InvalidProtocolBufferException e)
        {
            throw new DataException($"{file}: not a readable TensorProto ({e.Message})", e);
        }
        catch (OnnxFormatException e)
        {
            throw new DataException($"{file}: {e.Message}", e);
        }
        var input = inputs.FirstOrDefault(i => i.Name == t.Name) ?? inputs[position];
        var type = TensorData.TypeOf(t);
        var dims = t.Dims.ToArray();
        if (dims.Length != input.Dims.Length || dims.Where((d, i) => input.Dims[i] > 0 && input.Dims[i] != d).Any())
        {
            throw new DataException(
                $"{file}: tensor shape [{string.Join("x", dims)}] does not fit model input '{input.Name}' [{string.Join("x", input.Dims.Select(d => d < 0 ? "?" : d.ToString(CultureInfo.InvariantCulture)))}]");
        }
        return DataSpec.IsFloat(type)
            ? new SampleTensor(input.Name, dims, TensorData.ToFloats(t), null, type)
            : new SampleTensor(input.Name, dims, null, TensorData.ToInt64s(t), type);
    }
}
