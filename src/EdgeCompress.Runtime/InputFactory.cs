using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeCompress.Runtime;

/// <summary>
/// Builds one set of input tensors for a session: shapes from the model, symbolic dimensions from the request
/// (or 1), values from a fixed-seed generator so every run of the same model sees the same data.
/// The returned values own pinned buffers; the caller disposes them.
/// </summary>
public static class InputFactory
{
    /// <summary>Creates inputs in the session's input order.</summary>
    public static List<OrtValue> Create(InferenceSession session, IReadOnlyDictionary<string, long[]>? shapes, string model)
    {
        var values = new List<OrtValue>();
        try
        {
            foreach (var (name, meta) in session.InputMetadata)
            {
                if (!meta.IsTensor)
                {
                    throw new BenchmarkException($"{model}: input '{name}' is a {meta.OnnxValueType}, only tensor inputs can be generated");
                }

                var shape = ResolveShape(name, meta.Dimensions, shapes, model);
                values.Add(CreateTensor(name, meta.ElementDataType, shape, model));
            }

            if (shapes is not null)
            {
                var unknown = shapes.Keys.Where(k => !session.InputMetadata.ContainsKey(k)).ToArray();
                if (unknown.Length > 0)
                {
                    throw new BenchmarkException($"{model}: inputShapes names unknown input(s) {string.Join(", ", unknown)}; the model's inputs are {string.Join(", ", session.InputMetadata.Keys)}");
                }
            }

            return values;
        }
        catch
        {
            values.ForEach(v => v.Dispose());
            throw;
        }
    }

    /// <summary>The concrete shape for one input.</summary>
    public static long[] ResolveShape(string name, int[] dimensions, IReadOnlyDictionary<string, long[]>? shapes, string model)
    {
        if (shapes is not null && shapes.TryGetValue(name, out var given))
        {
            if (given.Length != dimensions.Length)
            {
                throw new BenchmarkException($"{model}: inputShapes.{name} has {given.Length} dimensions, the model's input has {dimensions.Length}");
            }

            for (var i = 0; i < given.Length; i++)
            {
                if (given[i] <= 0 || (dimensions[i] > 0 && dimensions[i] != given[i]))
                {
                    throw new BenchmarkException($"{model}: inputShapes.{name}[{i}] = {given[i]} does not fit the model's dimension {dimensions[i]}");
                }
            }

            return given;
        }

        return dimensions.Select(d => d > 0 ? (long)d : 1L).ToArray();
    }

    private static OrtValue CreateTensor(string name, TensorElementType type, long[] shape, string model)
    {
        var count = checked((int)shape.Aggregate(1L, (a, b) => a * b));
        var random = new Random(unchecked(name.Length * 7919) ^ count);
        return type switch
        {
            TensorElementType.Float => OrtValue.CreateTensorValueFromMemory(Fill(count, () => (float)random.NextDouble()), shape),
            TensorElementType.Double => OrtValue.CreateTensorValueFromMemory(Fill(count, random.NextDouble), shape),
            TensorElementType.Int64 => OrtValue.CreateTensorValueFromMemory(Fill(count, () => (long)random.Next(0, 2)), shape),
            TensorElementType.Int32 => OrtValue.CreateTensorValueFromMemory(Fill(count, () => random.Next(0, 2)), shape),
            TensorElementType.UInt8 => OrtValue.CreateTensorValueFromMemory(Fill(count, () => (byte)random.Next(0, 256)), shape),
            TensorElementType.Int8 => OrtValue.CreateTensorValueFromMemory(Fill(count, () => (sbyte)random.Next(-128, 128)), shape),
            TensorElementType.Bool => OrtValue.CreateTensorValueFromMemory(Fill(count, () => random.Next(0, 2) == 1), shape),
            _ => throw new BenchmarkException($"{model}: input '{name}' has element type {type}, which the benchmark cannot generate"),
        };
    }

    private static T[] Fill<T>(int count, Func<T> next)
    {
        var data = new T[count];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = next();
        }

        return data;
    }
}
