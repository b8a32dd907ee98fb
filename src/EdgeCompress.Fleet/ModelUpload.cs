using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using Google.Protobuf;

namespace EdgeCompress.Fleet;

/// <summary>
/// The one file a device should store for a local model. edged stores and validates a model as a single file, so a
/// model whose tensors live in ONNX external data files (MODEL.onnx.data) cannot be uploaded as its .onnx alone: it is
/// loaded with its external data and written whole, every tensor inline, to a private temp file, which is what gets
/// uploaded and hashed. This object owns that copy and deletes it on dispose; a model without external data is
/// uploaded as it is and nothing is copied.
/// </summary>
public sealed class ModelUpload : IDisposable
{
    /// <summary>Largest single ONNX file: a protobuf message cannot exceed 2 GiB.</summary>
    public const long MaxSelfContainedBytes = int.MaxValue;

    private readonly string? _tempFolder;

    private ModelUpload(ModelFile file, int inlinedFiles, string? tempFolder)
    {
        File = file;
        InlinedExternalDataFiles = inlinedFiles;
        _tempFolder = tempFolder;
    }

    /// <summary>What the device stores: <see cref="ModelFile.Path"/> is the user's model, <see cref="ModelFile.Sha256"/>
    /// and <see cref="ModelFile.Length"/> describe the uploaded bytes, <see cref="ModelFile.UploadPath"/> holds them.</summary>
    public ModelFile File { get; }

    /// <summary>External data files inlined into the upload; 0 when the model file is uploaded as it is.</summary>
    public int InlinedExternalDataFiles { get; }

    /// <summary>
    /// Returns <paramref name="model"/> as it is when it keeps no tensor in external data; otherwise inlines its
    /// external data into a temp copy. A usage problem when the external data is missing or short, or when the whole
    /// model would exceed <see cref="MaxSelfContainedBytes"/>; nothing is left behind then.
    /// </summary>
    public static ModelUpload Prepare(ModelFile model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var display = Path.GetFileName(model.Path);
        var external = ExternalTensors(model).ToList();
        if (external.Count == 0)
        {
            return new ModelUpload(model, 0, null);
        }

        // Inlining swaps each tensor's location entries for its bytes, so this bounds the self-contained size.
        var estimate = model.Length;
        foreach (var tensor in external)
        {
            // Clamped: absurd dims saturate ByteSize, and the sum must not wrap.
            estimate += Math.Min(Guard(() => TensorData.ByteSize(tensor), display), MaxSelfContainedBytes + 1);
        }

        if (estimate > MaxSelfContainedBytes)
        {
            throw new FleetException($"{display}: {estimate / (double)(1L << 30):0.00} GiB with its external data, over the 2 GiB a single ONNX file can hold (protobuf's limit); " +
                                     "edged stores a model as one file, so this one cannot be pushed until edged takes multi-file uploads");
        }

        var loaded = Guard(() => OnnxModel.Load(model.Path), display);
        var folder = Directory.CreateTempSubdirectory("edgec-upload-").FullName;
        try
        {
            var copy = Path.Combine(folder, display);
            using (var stream = new FileStream(copy, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                loaded.Save(stream);
            }

            var written = ModelFile.Open(copy);
            return new ModelUpload(new ModelFile(model.Path, written.Sha256, written.Length) { UploadPath = copy }, loaded.ExternalDataFiles.Count, folder);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Delete(folder);
            throw new FleetException($"{display}: cannot write its self-contained copy for upload to {folder}: {ex.Message}", ex);
        }
        catch
        {
            Delete(folder);
            throw;
        }
    }

    /// <summary>Deletes the inlined copy, if one was made.</summary>
    public void Dispose()
    {
        if (_tempFolder is not null)
        {
            Delete(_tempFolder);
        }
    }

    private static IEnumerable<TensorProto> ExternalTensors(ModelFile model)
    {
        ModelProto proto;
        try
        {
            using var stream = new FileStream(model.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            proto = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException)
        {
            // Not an ONNX model: uploaded as it is, and edged's validation says what is wrong, as for any bad model.
            return [];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FleetException($"model file {model.Path} cannot be read: {ex.Message}", ex);
        }

        return ModelWalker.Tensors(proto).Select(t => t.Tensor).Where(t => t.DataLocation == TensorProto.Types.DataLocation.External);
    }

    private static T Guard<T>(Func<T> action, string display)
    {
        try
        {
            return action();
        }
        catch (OnnxFormatException ex)
        {
            // The loader's messages name the model and the external data file; they already start with the model's name.
            var message = ex.Message.StartsWith(display + ":", StringComparison.Ordinal) ? ex.Message : $"{display}: {ex.Message}";
            throw new FleetException($"{message}; nothing uploaded", ex);
        }
    }

    private static void Delete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Already gone.
        }
    }
}
