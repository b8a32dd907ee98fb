using System.Globalization;
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

    /// <summary>A folder of PNG/JPEG/BMP/WebP images: flat, or one subfolder per class (labelled).</summary>
    ImageFolder,

    /// <summary>A folder of .npy/.npz arrays, or of per-sample subfolders of INPUTNAME.npy.</summary>
    NumpyFolder,
}

/// <summary>
/// A data SPEC as users type it: <c>fashion-mnist:train</c>, <c>fashion-mnist:test</c>, <c>synthetic:64</c>, or a folder
/// holding images (flat or in class subfolders), .npy/.npz arrays, or ONNX test_data_set_N/*.pb tensors. An optional
/// <c>@N</c> suffix keeps N samples: the first N for Fashion-MNIST and .pb sets; for image and .npy folders N spread
/// evenly over the sorted files, in proportion across the classes when labelled (e.g. <c>photos@500</c>).
/// A folder's labels.csv (<c>file,label</c>) labels any folder kind; its preprocess.json says how images become
/// tensors unless one is given to <see cref="Parse(string, Preprocess?)"/>.
/// </summary>
public sealed class DataSpec
{
    /// <summary>The preprocess file a data folder may hold.</summary>
    public const string PreprocessFile = "preprocess.json";

    private readonly DataFolder? _folder;

    private DataSpec(string text, DataKind kind, string? split, int? count, DataFolder? folder, Preprocess? preprocess)
    {
        Text = text;
        Kind = kind;
        Split = split;
        Count = count;
        _folder = folder;
        Path = folder?.Path;
        Preprocess = preprocess;
    }

    /// <summary>The spec as given.</summary>
    public string Text { get; }

    /// <summary>What it names.</summary>
    public DataKind Kind { get; }

    /// <summary>"train" or "test" for Fashion-MNIST.</summary>
    public string? Split { get; }

    /// <summary>Sample limit (@N, or N for synthetic).</summary>
    public int? Count { get; }

    /// <summary>Folder for folder kinds.</summary>
    public string? Path { get; }

    /// <summary>The preprocessing given (to <see cref="Parse(string, Preprocess?)"/> or the folder's preprocess.json),
    /// before the model fills the rest; null when none was. Only image folders use it.</summary>
    public Preprocess? Preprocess { get; }

    /// <summary>True when samples carry class labels, so accuracy can be measured.</summary>
    public bool IsLabelled => Kind == DataKind.FashionMnist || _folder is { IsLabelled: true };

    /// <summary>Class names in label order (Fashion-MNIST's, labels.txt or the class folders'), or null.</summary>
    public IReadOnlyList<string>? ClassNames() => Kind == DataKind.FashionMnist ? FashionMnist.ClassNames : _folder?.ClassNames();

    /// <summary>Parses a spec; throws <see cref="DataException"/> with the accepted forms on anything else.</summary>
    public static DataSpec Parse(string text) => Parse(text, null);

    /// <summary>
    /// Parses a spec with the preprocessing for image folders (from <see cref="Data.Preprocess.Load"/> of a
    /// --preprocess file, or a model's metadata); null uses the folder's preprocess.json when it has one, else the
    /// model input's defaults. Other kinds ignore it.
    /// </summary>
    public static DataSpec Parse(string text, Preprocess? preprocess)
    {
        ArgumentNullException.ThrowIfNull(text);
        var body = text;
        int? limit = null;
        var at = text.LastIndexOf('@');
        if (at > 0 && !Directory.Exists(text))
        {
            if (!int.TryParse(text[(at + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
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
            return new DataSpec(text, DataKind.FashionMnist, split, limit, null, preprocess);
        }
        if (body.StartsWith("synthetic:", StringComparison.Ordinal))
        {
            if (!int.TryParse(body["synthetic:".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
            {
                throw new DataException($"data spec '{text}': synthetic needs a positive sample count, e.g. synthetic:64");
            }
            return new DataSpec(text, DataKind.Synthetic, null, limit is null ? n : Math.Min(n, limit.Value), null, preprocess);
        }
        if (Directory.Exists(body))
        {
            var folder = DataFolder.Open(System.IO.Path.GetFullPath(body), text);
            var kind = folder.Layout switch
            {
                FolderLayout.PbTensors => DataKind.TensorFolder,
                FolderLayout.NumpyFiles or FolderLayout.NumpySampleFolders => DataKind.NumpyFolder,
                _ => DataKind.ImageFolder,
            };
            var inFolder = System.IO.Path.Combine(folder.Path, PreprocessFile);
            if (preprocess is null && kind == DataKind.ImageFolder && File.Exists(inFolder))
            {
                preprocess = Data.Preprocess.Load(inFolder);
            }
            return new DataSpec(text, kind, null, limit, folder, preprocess);
        }
        throw new DataException(
            $"data spec '{text}': not fashion-mnist:train|test, synthetic:N, or an existing folder of images, .npy/.npz arrays or test_data_set_N/*.pb tensors");
    }

    /// <summary>
    /// The preprocessing image folders get for a model with these inputs: the given one (or preprocess.json) completed
    /// from the model input, or the input's defaults (see <see cref="Data.Preprocess.DefaultFor"/>); null for other
    /// kinds. Print it with <see cref="Data.Preprocess.Describe"/>, store it with <see cref="Data.Preprocess.ToJson"/>.
    /// Throws <see cref="DataException"/> naming the preprocess source and the input when they do not fit.
    /// </summary>
    public Preprocess? PreprocessFor(IReadOnlyList<InputSpec> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (Kind != DataKind.ImageFolder)
        {
            return null;
        }
        if (inputs.Count != 1)
        {
            throw new DataException($"data spec '{Text}': images feed a model with one input, this one has {inputs.Count} ({string.Join(", ", inputs.Select(i => i.Name))}); give .npz files or per-sample folders of INPUTNAME.npy");
        }
        return Preprocess is { } given ? given.ResolveFor(inputs[0]) : Data.Preprocess.DefaultFor(inputs[0]);
    }

    /// <summary>
    /// Streams the samples for a model with the given inputs, in batches of <paramref name="batchSize"/> rows where
    /// the model's batch dimension allows it. Throws <see cref="DataException"/> when the data cannot feed the model.
    /// Image folders are listed and decoded lazily, batch by batch, so memory does not grow with the folder.
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
            DataKind.FashionMnist => FashionMnist.Batches(Text, Split!, Count, inputs, batchSize),
            DataKind.Synthetic => SyntheticData.Samples(Text, Count, inputs, batchSize, seed),
            DataKind.ImageFolder => ImageSamples(PreprocessFor(inputs)!, inputs[0], batchSize),
            DataKind.NumpyFolder => NumpySamples(inputs, batchSize),
            _ => PbTensorFolder.Samples(Text, _folder!, Count, inputs),
        };
    }

    private IEnumerable<Sample> ImageSamples(Preprocess resolved, InputSpec input, int batchSize)
    {
        foreach (var sample in ImageBatches.Read(Selection.Take(_folder!.Entries(), Count), resolved, input, batchSize))
        {
            yield return sample;
        }
    }

    private IEnumerable<Sample> NumpySamples(IReadOnlyList<InputSpec> inputs, int batchSize)
    {
        var entries = Selection.Take(_folder!.Entries(labelsOptional: true), Count);
        foreach (var sample in NumpyBatches.Read(entries, inputs, Math.Max(1, batchSize), Count, _folder.CsvLookup()))
        {
            yield return sample;
        }
    }

    /// <summary>True for the floating-point element types.</summary>
    public static bool IsFloat(TensorProto.Types.DataType t) =>
        t is TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Double
            or TensorProto.Types.DataType.Bfloat16;

    /// <summary>Reads one TensorProto .pb file and checks it against the model input it will feed.</summary>
    public static SampleTensor ReadTensorFile(string file, IReadOnlyList<InputSpec> inputs, int position) =>
        PbTensorFolder.ReadTensorFile(file, inputs, position);
}
