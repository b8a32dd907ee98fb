using EdgeCompress.Onnx.Protos;
using Google.Protobuf;

namespace EdgeCompress.Onnx;

/// <summary>Options for <see cref="OnnxModel.Save(string, OnnxSaveOptions?)"/>.</summary>
public sealed class OnnxSaveOptions
{
    /// <summary>Initializers of at least this many bytes go to an external data file (Constant-node tensors stay
    /// inline: ONNX Runtime cannot read those from external files). Null: only when the model
    /// would not fit the 2 GiB protobuf limit, in which case tensors of 1 KiB and more go out.</summary>
    public long? ExternalDataThresholdBytes { get; init; }

    /// <summary>File name (in the model's folder) for external data; defaults to "MODEL.onnx.data".</summary>
    public string? ExternalDataFileName { get; init; }
}

/// <summary>
/// An ONNX model in memory: the protobuf plus where it came from. Loading resolves external data and checks every
/// tensor's size against its dims; saving is atomic (temporary file, then rename) and refuses to overwrite the file
/// the model was loaded from.
/// </summary>
public sealed class OnnxModel
{
    private const long ProtobufLimitBytes = int.MaxValue - (64L * 1024 * 1024);
    private OnnxGraph? _graph;

    /// <summary>Wraps an existing protobuf (e.g. one built in code).</summary>
    public OnnxModel(ModelProto proto, string? sourcePath = null)
    {
        Proto = proto;
        SourcePath = sourcePath is null ? null : Path.GetFullPath(sourcePath);
    }

    /// <summary>The underlying protobuf. Passes edit the graph through <see cref="Graph"/>, which keeps its lookups
    /// valid; what lies outside the graph (opset imports, IR version, metadata) may be edited here.</summary>
    public ModelProto Proto { get; }

    /// <summary>Full path of the file this model was loaded from, if any.</summary>
    public string? SourcePath { get; }

    /// <summary>Full paths of the external data files the model's tensors were read from when loaded (empty when
    /// every tensor was inline). The bytes now live in memory; these are for size reports.</summary>
    public IReadOnlyList<string> ExternalDataFiles { get; private init; } = [];

    /// <summary>The main graph as an editable IR with producer/consumer lookups.</summary>
    public OnnxGraph Graph => _graph ??= new OnnxGraph(Proto.Graph ?? throw new InvalidOperationException("model has no graph"));

    /// <summary>The opset version imported for a domain ("" or "ai.onnx" for the default domain), or null.</summary>
    public long? OpsetVersion(string domain = "")
    {
        foreach (var o in Proto.OpsetImport)
        {
            var d = o.Domain ?? "";
            if (d == domain || (domain.Length == 0 && d == "ai.onnx") || (domain == "ai.onnx" && d.Length == 0))
            {
                return o.Version;
            }
        }
        return null;
    }

    /// <summary>Loads a model file, resolving external data relative to its folder.</summary>
    /// <exception cref="OnnxFormatException">The file is missing, empty, not an ONNX model, or inconsistent.</exception>
    public static OnnxModel Load(string path)
    {
        var display = Path.GetFileName(path);
        if (Directory.Exists(path))
        {
            throw new OnnxFormatException($"{path}: is a folder, not an ONNX model file");
        }
        if (!File.Exists(path))
        {
            throw new OnnxFormatException($"{path}: file not found");
        }
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            var proto = Parse(stream, path);
            var files = ExternalData.Resolve(proto, Path.GetDirectoryName(Path.GetFullPath(path))!, display);
            Check(proto, path);
            return new OnnxModel(proto, path) { ExternalDataFiles = files };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OnnxFormatException($"{path}: cannot read: {e.Message}", e);
        }
    }

    /// <summary>Loads a model from a stream. External data, if any, is read relative to <paramref name="baseDirectory"/>;
    /// without one, a model that has external data is refused.</summary>
    public static OnnxModel Load(Stream stream, string? baseDirectory = null, string displayName = "<stream>")
    {
        var proto = Parse(stream, displayName);
        IReadOnlyList<string> files = [];
        if (baseDirectory is not null)
        {
            files = ExternalData.Resolve(proto, baseDirectory, displayName);
        }
        else if (ModelWalker.Tensors(proto).Any(t => t.Tensor.DataLocation == TensorProto.Types.DataLocation.External))
        {
            throw new OnnxFormatException($"{displayName}: model keeps tensors in external data files; load it from its file path");
        }
        Check(proto, displayName);
        return new OnnxModel(proto) { ExternalDataFiles = files };
    }

    private static ModelProto Parse(Stream stream, string display)
    {
        if (stream.CanSeek && stream.Length == 0)
        {
            throw new OnnxFormatException($"{display}: file is empty, not an ONNX model");
        }
        ModelProto proto;
        try
        {
            var input = new CodedInputStream(stream);
            proto = ModelProto.Parser.ParseFrom(input);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxFormatException($"{display}: not a valid ONNX model (protobuf decoding failed: {FirstLine(e.Message)})", e);
        }
        if (proto.Graph is null)
        {
            throw new OnnxFormatException($"{display}: not an ONNX model (no graph found; is it a different protobuf message?)");
        }
        if (!proto.HasIrVersion || proto.IrVersion <= 0)
        {
            throw new OnnxFormatException($"{display}: not an ONNX model (ir_version missing)");
        }
        return proto;
    }

    private static void Check(ModelProto proto, string display)
    {
        foreach (var (tensor, where) in ModelWalker.Tensors(proto))
        {
            try
            {
                TensorData.CheckConsistent(tensor);
            }
            catch (OnnxFormatException e)
            {
                throw new OnnxFormatException($"{display}: {e.Message} ({where})", e);
            }
        }
    }

    private static string FirstLine(string s)
    {
        var i = s.IndexOfAny(['\r', '\n']);
        return i < 0 ? s : s[..i];
    }

    /// <summary>Serialises the model to a stream, all tensors inline.</summary>
    public void Save(Stream stream) => Proto.WriteTo(stream);

    /// <summary>The model as bytes, all tensors inline.</summary>
    public byte[] ToBytes() => Proto.ToByteArray();

    /// <summary>
    /// Writes the model atomically: to a temporary file beside <paramref name="path"/>, then renamed over it.
    /// Large tensors go to an external data file when the options ask for it or the model would exceed 2 GiB.
    /// </summary>
    /// <exception cref="OnnxFormatException">The target is the file this model was loaded from.</exception>
    public void Save(string path, OnnxSaveOptions? options = null)
    {
        var full = Path.GetFullPath(path);
        if (SourcePath is not null && string.Equals(full, SourcePath, StringComparison.Ordinal))
        {
            throw new OnnxFormatException($"{path}: refusing to overwrite the input model; choose another output path");
        }
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        options ??= new OnnxSaveOptions();
        var threshold = options.ExternalDataThresholdBytes;
        if (threshold is null && Proto.CalculateSize() > ProtobufLimitBytes)
        {
            threshold = 1024;
        }

        var tempModel = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        string? tempData = null;
        string? dataPath = null;
        Action? restore = null;
        try
        {
            if (threshold is not null)
            {
                var dataName = options.ExternalDataFileName ?? Path.GetFileName(full) + ".data";
                dataPath = ExternalData.ResolveInside(dir, dataName, path, "(external data)");
                tempData = Path.Combine(dir, $".{dataName}.{Guid.NewGuid():N}.tmp");
                using var ds = new FileStream(tempData, FileMode.CreateNew, FileAccess.Write);
                restore = ExternalData.Externalize(Proto, ds, dataName, threshold.Value);
                ds.Flush(flushToDisk: true);
            }
            using (var fs = new FileStream(tempModel, FileMode.CreateNew, FileAccess.Write))
            {
                Proto.WriteTo(fs);
                fs.Flush(flushToDisk: true);
            }
            if (tempData is not null)
            {
                File.Move(tempData, dataPath!, overwrite: true);
                tempData = null;
            }
            File.Move(tempModel, full, overwrite: true);
            tempModel = null!;
        }
        finally
        {
            restore?.Invoke();
            TryDelete(tempModel);
            TryDelete(tempData);
        }
    }

    private static void TryDelete(string? path)
    {
        if (path is not null && File.Exists(path))
        {
            File.Delete(path);
        }
    }
}
