using EdgeCompress.Onnx.Protos;
using Google.Protobuf;

namespace EdgeCompress.Onnx;

/// <summary>
/// Reads tensors whose bytes live outside the .onnx file (data_location = EXTERNAL, with "location", "offset",
/// "length" entries) and writes large tensors out the same way. Locations must stay inside the model's folder.
/// </summary>
internal static class ExternalData
{
    /// <summary>Loads every external tensor into raw_data, so the rest of the code sees ordinary tensors.
    /// Returns the full paths of the external data files read.</summary>
    public static IReadOnlyList<string> Resolve(ModelProto model, string baseDirectory, string modelDisplayName)
    {
        var root = Path.GetFullPath(baseDirectory);
        var files = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (tensor, where) in ModelWalker.Tensors(model))
        {
            if (tensor.DataLocation != TensorProto.Types.DataLocation.External)
            {
                continue;
            }
            var entries = tensor.ExternalData.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
            if (!entries.TryGetValue("location", out var location) || string.IsNullOrEmpty(location))
            {
                throw new OnnxFormatException($"{modelDisplayName}: tensor '{tensor.Name}' ({where}) is external but names no location");
            }
            var path = ResolveInside(root, location, modelDisplayName, tensor.Name);
            if (!File.Exists(path))
            {
                throw new OnnxFormatException($"{modelDisplayName}: external data file '{location}' for tensor '{tensor.Name}' not found next to the model");
            }
            long offset = ParseLong(entries, "offset", 0, modelDisplayName, tensor.Name);
            var fileLength = new FileInfo(path).Length;
            var expected = DataTypes.RawByteCount(TensorData.TypeOf(tensor), TensorData.ElementCount(tensor));
            long length = ParseLong(entries, "length", expected >= 0 ? expected : fileLength - offset, modelDisplayName, tensor.Name);
            if (offset < 0 || length < 0 || offset > fileLength || length > fileLength - offset)
            {
                throw new OnnxFormatException(
                    $"{modelDisplayName}: tensor '{tensor.Name}' reads bytes {offset}..{offset + length} of '{location}', which holds {fileLength}");
            }
            if (length > int.MaxValue)
            {
                throw new OnnxFormatException($"{modelDisplayName}: tensor '{tensor.Name}' is {length} bytes; tensors over 2 GiB are not supported");
            }
            var bytes = new byte[length];
            using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
            {
                fs.Seek(offset, SeekOrigin.Begin);
                fs.ReadExactly(bytes);
            }
            tensor.RawData = UnsafeByteOperations.UnsafeWrap(bytes);
            tensor.ExternalData.Clear();
            tensor.ClearDataLocation();
            files.Add(path);
        }
        return [.. files];
    }

    /// <summary>Combines a location with the model folder, refusing absolute paths and anything escaping it.</summary>
    public static string ResolveInside(string root, string location, string modelDisplayName, string tensorName)
    {
        if (Path.IsPathRooted(location) || location.Contains('\0', StringComparison.Ordinal))
        {
            throw new OnnxFormatException($"{modelDisplayName}: tensor '{tensorName}' has external data path '{location}', which is absolute; only paths inside the model folder are allowed");
        }
        var full = Path.GetFullPath(Path.Combine(root, location));
        var rootWithSep = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        if (!full.StartsWith(rootWithSep, StringComparison.Ordinal))
        {
            throw new OnnxFormatException($"{modelDisplayName}: tensor '{tensorName}' has external data path '{location}', which escapes the model folder");
        }
        return full;
    }

    private static long ParseLong(Dictionary<string, string> entries, string key, long fallback, string model, string tensor)
    {
        if (!entries.TryGetValue(key, out var s))
        {
            return fallback;
        }
        return long.TryParse(s, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new OnnxFormatException($"{model}: tensor '{tensor}' has external data {key} '{s}', not a number");
    }

    /// <summary>
    /// Moves the bytes of initializers (all graphs) at or above <paramref name="thresholdBytes"/> into <paramref name="dataStream"/>
    /// (64-byte aligned, as ONNX's own tools align), pointing the tensors at <paramref name="location"/>.
    /// Returns an action that puts the bytes back into the tensors, so the in-memory model is unchanged afterwards.
    /// </summary>
    public static Action Externalize(ModelProto model, Stream dataStream, string location, long thresholdBytes)
    {
        var restore = new List<(TensorProto Tensor, TensorProto Original)>();
        // Only initializers move out: ONNX Runtime cannot read Constant-node attribute tensors from external
        // files during shape inference ("Cannot parse data from external tensors"), and they are small anyway.
        foreach (var tensor in ModelWalker.Graphs(model).SelectMany(g => g.Initializer))
        {
            if (tensor.DataLocation == TensorProto.Types.DataLocation.External
                || TensorData.TypeOf(tensor) == TensorProto.Types.DataType.String)
            {
                continue;
            }
            var size = TensorData.ByteSize(tensor);
            if (size < thresholdBytes)
            {
                continue;
            }
            var pad = (64 - (dataStream.Position % 64)) % 64;
            dataStream.Write(new byte[pad]);
            var offset = dataStream.Position;
            var bytes = tensor.HasRawData ? tensor.RawData.Span : TensorData.GetRawBytes(tensor);
            dataStream.Write(bytes);
            restore.Add((tensor, tensor.Clone()));
            tensor.ClearRawData();
            tensor.FloatData.Clear();
            tensor.Int32Data.Clear();
            tensor.Int64Data.Clear();
            tensor.DoubleData.Clear();
            tensor.Uint64Data.Clear();
            tensor.DataLocation = TensorProto.Types.DataLocation.External;
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }
        return () =>
        {
            // Put back exactly the fields Externalize cleared; MergeFrom would append repeated fields (dims) twice.
            foreach (var (tensor, original) in restore)
            {
                tensor.ExternalData.Clear();
                tensor.ExternalData.AddRange(original.ExternalData);
                if (original.HasDataLocation)
                {
                    tensor.DataLocation = original.DataLocation;
                }
                else
                {
                    tensor.ClearDataLocation();
                }
                if (original.HasRawData)
                {
                    tensor.RawData = original.RawData;
                }
                tensor.FloatData.AddRange(original.FloatData);
                tensor.Int32Data.AddRange(original.Int32Data);
                tensor.Int64Data.AddRange(original.Int64Data);
                tensor.DoubleData.AddRange(original.DoubleData);
                tensor.Uint64Data.AddRange(original.Uint64Data);
            }
        };
    }
}
