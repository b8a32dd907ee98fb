using System.Globalization;
using System.IO.Compression;

namespace EdgeCompress.Data;

/// <summary>
/// Streams a folder of NumPy arrays: .npy files (one model input: each file one sample, or a batch whose leading
/// axis is the batch), .npz archives (arrays named after the inputs, or the only array for one input; one archive per
/// sample or batch), or one subfolder per sample holding INPUTNAME.npy. Arrays are checked against the model inputs
/// (shape and float vs integer dtype). Single samples are gathered into batches of the requested size where the
/// batch axis is dynamic; @N counts rows.
/// </summary>
internal static class NumpyBatches
{
    /// <summary>Batches for the selected entries; labels from the entries or, for batch files, labels.csv rows
    /// "FILE#ROW".</summary>
    public static IEnumerable<Sample> Read(IReadOnlyList<DataEntry> entries, IReadOnlyList<InputSpec> inputs, int batchSize, int? limit, Func<string, int?> csvLabel)
    {
        // A model with a scalar input (a sample rate, a threshold) has no batch axis to gather along: one file, one run.
        var unbatched = inputs.Any(i => i.Dims.Length == 0);
        var dynamicRows = !unbatched && inputs.All(i => i.Dims[0] <= 0);
        var pending = new List<(NpyArray[] Arrays, int Rows, int[]? Labels, string[] Sources)>();
        var pendingRows = 0;
        var taken = 0;
        foreach (var entry in entries)
        {
            if (limit is { } cap && taken >= cap)
            {
                break;
            }
            var arrays = inputs.Select(input => Check(Load(entry, input, inputs.Count), input, entry.Path)).ToArray();
            var rows = unbatched ? 1 : (int)arrays[0].Shape[0];
            if (!unbatched && arrays.Any(a => a.Shape[0] != rows))
            {
                throw new DataException($"{entry.Path}: its arrays hold different numbers of rows ({string.Join(", ", arrays.Select(a => a.Shape[0]))})");
            }
            var keep = limit is { } l ? Math.Min(rows, l - taken) : rows;
            var sources = rows == 1 ? [entry.Name] : Enumerable.Range(0, keep).Select(r => string.Create(CultureInfo.InvariantCulture, $"{entry.Name}#{r}")).ToArray();
            var labels = rows == 1
                ? (entry.Label ?? csvLabel(entry.Name)) is { } one ? [one] : null
                : sources.Select(csvLabel).ToArray() is var many && many.All(v => v is not null) ? many.Select(v => v!.Value).ToArray() : null;
            pending.Add((arrays, keep, labels, sources));
            pendingRows += keep;
            taken += keep;
            if (!dynamicRows || pendingRows >= batchSize)
            {
                yield return Emit(pending, inputs, unbatched);
                pending.Clear();
                pendingRows = 0;
            }
        }
        if (pending.Count > 0)
        {
            yield return Emit(pending, inputs, unbatched);
        }
    }

    private static Sample Emit(List<(NpyArray[] Arrays, int Rows, int[]? Labels, string[] Sources)> parts, IReadOnlyList<InputSpec> inputs, bool unbatched)
    {
        if (unbatched)
        {
            var one = parts.Single();
            var single = inputs.Select((input, k) => new SampleTensor(input.Name, one.Arrays[k].Shape.ToArray(),
                one.Arrays[k].IsFloat ? one.Arrays[k].Floats : null, one.Arrays[k].IsFloat ? null : one.Arrays[k].Int64s, input.ElementType)).ToList();
            return new Sample(single, one.Labels) { Sources = one.Sources };
        }
        var rows = parts.Sum(p => p.Rows);
        var tensors = new List<SampleTensor>(inputs.Count);
        for (var k = 0; k < inputs.Count; k++)
        {
            var shape = parts[0].Arrays[k].Shape;
            var rowSize = (int)shape.Skip(1).Aggregate(1L, (a, b) => a * b);
            var dims = shape.ToArray();
            dims[0] = rows;
            var isFloat = parts[0].Arrays[k].IsFloat;
            var floats = isFloat ? new float[rows * rowSize] : null;
            var longs = isFloat ? null : new long[rows * rowSize];
            var at = 0;
            foreach (var part in parts)
            {
                var a = part.Arrays[k];
                if (!a.Shape.Skip(1).SequenceEqual(shape.Skip(1)))
                {
                    throw new DataException($"{part.Sources[0]}: array shape [{string.Join("x", a.Shape)}] differs from [{string.Join("x", shape)}] of the files before it in the batch");
                }
                var n = part.Rows * rowSize;
                if (isFloat)
                {
                    a.Floats.AsSpan(0, n).CopyTo(floats.AsSpan(at));
                }
                else
                {
                    a.Int64s.AsSpan(0, n).CopyTo(longs.AsSpan(at));
                }
                at += n;
            }
            tensors.Add(new SampleTensor(inputs[k].Name, dims, floats, longs, inputs[k].ElementType));
        }
        var labels = parts.All(p => p.Labels is not null) ? parts.SelectMany(p => p.Labels!).ToArray() : null;
        return new Sample(tensors, labels) { Sources = parts.SelectMany(p => p.Sources).ToArray() };
    }

    /// <summary>The array feeding <paramref name="input"/> from an entry.</summary>
    private static NpyArray Load(DataEntry entry, InputSpec input, int inputCount)
    {
        if (Directory.Exists(entry.Path))
        {
            var file = Path.Combine(entry.Path, input.Name + ".npy");
            if (!File.Exists(file) && inputCount == 1 && Directory.GetFiles(entry.Path, "*.npy") is [var only])
            {
                file = only;
            }
            if (!File.Exists(file))
            {
                throw new DataException($"{entry.Path}: has no {input.Name}.npy for model input '{input.Name}'");
            }
            using var fs = File.OpenRead(file);
            return NpyFile.Read(fs, file);
        }
        if (entry.Path.EndsWith(".npz", StringComparison.OrdinalIgnoreCase))
        {
            return NpzMember(entry.Path, input, inputCount);
        }
        if (inputCount != 1)
        {
            throw new DataException($"{entry.Path}: a .npy file feeds a model with one input, this one has {inputCount}; use .npz files with arrays named after the inputs, or one folder per sample with INPUTNAME.npy files");
        }
        using var stream = File.OpenRead(entry.Path);
        return NpyFile.Read(stream, entry.Path);
    }

    private static NpyArray NpzMember(string path, InputSpec input, int inputCount)
    {
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var member = zip.GetEntry(input.Name + ".npy") ?? zip.GetEntry(input.Name)
                ?? (inputCount == 1 && zip.Entries.Count == 1 ? zip.Entries[0] : null)
                ?? throw new DataException($"{path}: has no array '{input.Name}' for model input '{input.Name}' (it holds {string.Join(", ", zip.Entries.Select(e => Path.GetFileNameWithoutExtension(e.FullName)))})");
            using var stream = member.Open();
            return NpyFile.Read(stream, $"{path}:{member.FullName}");
        }
        catch (InvalidDataException e)
        {
            throw new DataException($"{path}: not a readable .npz (zip) archive ({e.Message})", e);
        }
    }

    /// <summary>Checks an array against the input it feeds; a sample without the batch axis gets one of size 1.</summary>
    private static NpyArray Check(NpyArray a, InputSpec input, string file)
    {
        var dims = input.Dims;
        if (dims.Length == 0)
        {
            return a.Shape.Length == 0 && a.IsFloat == DataSpec.IsFloat(input.ElementType)
                ? a
                : throw new DataException($"{file}: model input '{input.Name}' is a scalar {EdgeCompress.Onnx.DataTypes.Name(input.ElementType)}, the array is {a.Dtype} [{string.Join("x", a.Shape)}]");
        }
        var shape = a.Shape.Length == dims.Length - 1 ? [1, .. a.Shape] : a.Shape;
        if (shape.Length != dims.Length || shape.Where((d, i) => dims[i] > 0 && dims[i] != d).Any())
        {
            throw new DataException(
                $"{file}: array shape [{string.Join("x", a.Shape)}] does not fit model input '{input.Name}' [{string.Join("x", dims.Select(d => d < 0 ? "?" : d.ToString(CultureInfo.InvariantCulture)))}]");
        }
        if (a.IsFloat != DataSpec.IsFloat(input.ElementType))
        {
            throw new DataException($"{file}: dtype {a.Dtype} does not fit model input '{input.Name}' of type {EdgeCompress.Onnx.DataTypes.Name(input.ElementType)}");
        }
        return a with { Shape = shape };
    }
}
