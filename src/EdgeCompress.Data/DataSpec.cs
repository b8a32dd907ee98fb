using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Data;

/// <summary>The kinds of data a SPEC can name.</summary>
public enum DataKind
{
    /// <summary>fashion-mnist:train or fashion-mnist:test (labelled images).</summary>
    FashionMnist,

    /// <summary>synthetic:N, random inputs shaped from the model (no labels; accuracy cannot be judged).</summary>
    Synthetic,

    /// <summary>A folder of ONNX test_data_set_N/input_K.pb tensors (or one such set).</summary>
    TensorFolder,
}

/// <summary>
/// A data SPEC as users type it: <c>fashion-mnist:train</c>, <c>fashion-mnist:test</c>, <c>synthetic:64</c>, or a folder
/// of ONNX test_data_set_N/*.pb tensors. An optional <c>@N</c> suffix keeps the first N samples
/// (e.g. <c>fashion-mnist:train@2000</c>).
/// </summary>
public sealed class DataSpec
{
    private DataSpec(string text, DataKind kind, string? split, int? count, string? path)
    {
        Text = text;
        Kind = kind;
        Split = split;
        Count = count;
        Path = path;
    }

    /// <summary>The spec as given.</summary>
    public string Text { get; }

    /// <summary>What it names.</summary>
    public DataKind Kind { get; }

    /// <summary>"train" or "test" for Fashion-MNIST.</summary>
    public string? Split { get; }

    /// <summary>Sample limit (@N, or N for synthetic).</summary>
    public int? Count { get; }

    /// <summary>Folder for tensor folders.</summary>
    public string? Path { get; }

    /// <summary>True when samples carry class labels, so accuracy can be measured.</summary>
    public bool IsLabelled => Kind == DataKind.FashionMnist;

    /// <summary>Parses a spec; throws <see cref="DataException"/> with the accepted forms on anything else.</summary>
    public static DataSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var body = text;
        int? limit = null;
        var at = text.LastIndexOf('@');
        if (at > 0 && !System.IO.Directory.Exists(text))
        {
            if (!int.TryParse(text[(at + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n <= 0)
            {
                throw new DataException($"data spec '{text}': '@{text[(at + 1)..]}' is not a positive sample count");
            }
            limit = n;
            body = text[..at];
        }
        if (body.StartsWith("fashion-mnist:", StringComparison.Ordinal))
        {
            var split = body["fashion-mnist:".Length..];
            if (split is not ("train" or "test"))
            {
                throw new DataException($"data spec '{text}': unknown split '{split}'; use fashion-mnist:train or fashion-mnist:test");
            }
            return new DataSpec(text, DataKind.FashionMnist, split, limit, null);
        }
        if (body.StartsWith("synthetic:", StringComparison.Ordinal))
        {
            if (!int.TryParse(body["synthetic:".Length..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n <= 0)
            {
                throw new DataException($"data spec '{text}': synthetic needs a positive sample count, e.g. synthetic:64");
            }
            return new DataSpec(text, DataKind.Synthetic, null, limit is null ? n : Math.Min(n, limit.Value), null);
        }
        if (System.IO.Directory.Exists(body))
        {
            return new DataSpec(text, DataKind.TensorFolder, null, limit, System.IO.Path.GetFullPath(body));
        }
        throw new DataException(
            $"data spec '{text}': not fashion-mnist:train|test, synthetic:N, or an existing folder of test_data_set_N/*.pb tensors");
    }

    /// <summary>
    /// Streams the samples for a model with the given inputs, in batches of <paramref name="batchSize"/> rows where
    /// the model's batch dimension allows it. Throws <see cref="DataException"/> when the data cannot feed the model.
    /// </summary>
    public IEnumerable<Sample> Open(IReadOnlyList<InputSpec> inputs, int batchSize = 1, int seed = 1234)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0)
        {
            throw new DataException($"data spec '{Text}': the model has no inputs to feed");
        }
        return Kind switch
        {
            DataKind.FashionMnist => FashionMnistBatches(inputs, batchSize),
            DataKind.Synthetic => SyntheticSamples(inputs, batchSize, seed),
            _ => TensorFolderSamples(inputs),
        };
    }

    private IEnumerable<Sample> FashionMnistBatches(IReadOnlyList<InputSpec> inputs, int batchSize)
    {
        var input = inputs[0];
        if (inputs.Count != 1 || !FitsImage(input))
        {
            throw new DataException(
                $"data spec '{Text}': gives Nx1x28x28 float images, but model input '{input.Name}' is {DataTypes.Name(input.ElementType)} [{string.Join("x", input.Dims.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]"
                + (inputs.Count != 1 ? $" and the model has {inputs.Count} inputs" : ""));
        }
        var batch = input.Dims[0] > 0 ? (int)input.Dims[0] : Math.Max(1, batchSize);
        var pixels = new List<float>(batch * 784);
        var labels = new List<int>(batch);
        foreach (var (p, label) in FashionMnist.Read(Split!, Count))
        {
            pixels.AddRange(p);
            labels.Add(label);
            if (labels.Count == batch)
            {
                yield return Make();
            }
        }
        if (labels.Count > 0 && input.Dims[0] <= 0)
        {
            yield return Make();
        }

        Sample Make()
        {
            var s = new Sample([new SampleTensor(input.Name, [labels.Count, 1, 28, 28], pixels.ToArray(), null, TensorProto.Types.DataType.Float)], labels.ToArray());
            pixels.Clear();
            labels.Clear();
            return s;
        }
    }

    private static bool FitsImage(InputSpec input) =>
        input.ElementType == TensorProto.Types.DataType.Float && input.Dims.Length == 4
        && (input.Dims[1] is 1 or < 0) && (input.Dims[2] is 28 or < 0) && (input.Dims[3] is 28 or < 0);

    private IEnumerable<Sample> SyntheticSamples(IReadOnlyList<InputSpec> inputs, int batchSize, int seed)
    {
        foreach (var input in inputs)
        {
            if (input.Dims.Skip(1).Select((d, i) => (Dim: d, Axis: i + 1)).FirstOrDefault(x => x.Dim <= 0) is { Axis: > 0 } dynamicAxis)
            {
                // A made-up size (1 was used before) fails deep inside the first Conv or Reshape; name the axis instead.
                throw new DataException(
                    $"{Text}: input '{input.Name}' [{string.Join(",", input.Dims.Select(d => d > 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : "?"))}] has a dynamic axis {dynamicAxis.Axis}, so synthetic inputs have no size for it; give data whose tensors fix it (a .pb tensor folder), or fix the axis in the model");
            }
        }
        var random = new Random(seed);
        var total = Count ?? 1;
        for (var done = 0; done < total;)
        {
            var fixedBatch = inputs[0].Dims.Length > 0 && inputs[0].Dims[0] > 0;
            var rows = fixedBatch ? (int)inputs[0].Dims[0] : Math.Min(Math.Max(1, batchSize), total - done);
            var tensors = new List<SampleTensor>(inputs.Count);
            foreach (var input in inputs)
            {
                var dims = input.Dims.Select(d => d > 0 ? d : rows).ToArray();
                var n = checked((int)dims.Aggregate(1L, (a, b) => a * b));
                if (IsFloat(input.ElementType))
                {
                    var values = new float[n];
                    for (var i = 0; i < n; i++)
                    {
                        values[i] = (float)random.NextDouble();
                    }
                    tensors.Add(new SampleTensor(input.Name, dims, values, null, input.ElementType));
                }
                else
                {
                    var values = new long[n];
                    for (var i = 0; i < n; i++)
                    {
                        values[i] = input.ElementType == TensorProto.Types.DataType.Bool ? random.Next(2) : random.Next(10);
                    }
                    tensors.Add(new SampleTensor(input.Name, dims, null, values, input.ElementType));
                }
            }
            done += rows;
            yield return new Sample(tensors, null);
        }
    }

    /// <summary>True for the floating-point element types.</summary>
    public static bool IsFloat(TensorProto.Types.DataType t) =>
        t is TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Double
            or TensorProto.Types.DataType.Bfloat16;

    private IEnumerable<Sample> TensorFolderSamples(IReadOnlyList<InputSpec> inputs)
    {
        var sets = System.IO.Directory.GetFiles(Path!, "input_*.pb").Length > 0
            ? [Path!]
            : System.IO.Directory.GetDirectories(Path!, "test_data_set_*").Order(StringComparer.Ordinal).ToArray();
        if (sets.Length == 0)
        {
            throw new DataException($"data spec '{Text}': no test_data_set_N folders or input_K.pb files in {Path}");
        }
        var taken = 0;
        foreach (var set in sets)
        {
            if (Count is { } c && taken >= c)
            {
                yield break;
            }
            var files = System.IO.Directory.GetFiles(set, "input_*.pb")
                .OrderBy(f => int.TryParse(System.IO.Path.GetFileNameWithoutExtension(f)["input_".Length..], System.Globalization.CultureInfo.InvariantCulture, out var k) ? k : int.MaxValue)
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
            yield return new Sample(tensors, null);
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
                $"{file}: tensor shape [{string.Join("x", dims)}] does not fit model input '{input.Name}' [{string.Join("x", input.Dims.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]");
        }
        return IsFloat(type)
            ? new SampleTensor(input.Name, dims, TensorData.ToFloats(t), null, type)
            : new SampleTensor(input.Name, dims, null, TensorData.ToInt64s(t), type);
    }
}
