using System.Runtime.InteropServices;
using EdgeCompress.Protocol;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeCompress.Runtime;

/// <summary>
/// Real inputs for a benchmark (an uploaded input set): the engine checks them against the model, runs every sample
/// once to keep its outputs (as float32, for the host to compare with its own), then cycles over the samples in the
/// measured loop, the way TFLite benchmark_model's --input_layer_value_files does.
/// </summary>
/// <param name="Samples">The samples, each naming every model input.</param>
/// <param name="MaxOutputBytes">Most bytes the kept outputs may take together; more fails the run before measuring.</param>
public sealed record SampleInputs(IReadOnlyList<IReadOnlyList<WireTensor>> Samples, long MaxOutputBytes)
{
    /// <summary>Every sample's outputs in session output order, float32; filled by the engine.</summary>
    public List<IReadOnlyList<WireTensor>> Outputs { get; } = [];

    /// <summary>Bytes of <see cref="Outputs"/>.</summary>
    public long OutputBytes => Outputs.Sum(s => s.Sum(t => t.Data.LongLength));

    /// <summary>One list of values per sample, in the session's input order; the caller disposes them. Throws
    /// <see cref="BenchmarkException"/> naming the sample and input when a sample does not fit the model.</summary>
    internal List<List<OrtValue>> Create(InferenceSession session, string model)
    {
        var all = new List<List<OrtValue>>(Samples.Count);
        try
        {
            for (var s = 0; s < Samples.Count; s++)
            {
                var values = new List<OrtValue>();
                all.Add(values);
                var given = Samples[s];
                if (given.Select(t => t.Name).Where(n => !session.InputMetadata.ContainsKey(n)).ToArray() is { Length: > 0 } unknown)
                {
                    throw new BenchmarkException($"{model}: input set sample {s} names {string.Join(", ", unknown)}, which the model does not have; its inputs are {string.Join(", ", session.InputMetadata.Keys)}");
                }

                foreach (var (name, meta) in session.InputMetadata)
                {
                    var tensor = given.FirstOrDefault(t => t.Name == name)
                        ?? throw new BenchmarkException($"{model}: input set sample {s} has no tensor for input '{name}'");
                    values.Add(ToValue(tensor, meta, $"{model}: input set sample {s}, input '{name}'"));
                }
            }

            return all;
        }
        catch
        {
            all.ForEach(l => l.ForEach(v => v.Dispose()));
            throw;
        }
    }

    /// <summary>Keeps one sample's outputs, widened to float32.</summary>
    internal void Keep(IReadOnlyList<string> names, IReadOnlyList<OrtValue> values, string model)
    {
        var kept = new List<WireTensor>(values.Count);
        for (var i = 0; i < values.Count; i++)
        {
            if (!values[i].IsTensor)
            {
                throw new BenchmarkException($"{model}: output '{names[i]}' is not a tensor; only tensor outputs can be compared");
            }

            var info = values[i].GetTensorTypeAndShape();
            var floats = TensorFloats.Of(values[i])
                ?? throw new BenchmarkException($"{model}: output '{names[i]}' is {info.ElementDataType}, which cannot be compared");
            kept.Add(new WireTensor(names[i], (int)TensorElementType.Float, info.Shape, MemoryMarshal.AsBytes(floats.AsSpan()).ToArray()));
        }

        Outputs.Add(kept);
        if (OutputBytes > MaxOutputBytes)
        {
            throw new BenchmarkException($"{model}: the outputs of {Outputs.Count} of {Samples.Count} samples already take {OutputBytes} bytes as float32; this device keeps at most {MaxOutputBytes} (maxInputBytes); send fewer samples");
        }
    }

    private static OrtValue ToValue(WireTensor tensor, NodeMetadata meta, string where)
    {
        if (!meta.IsTensor)
        {
            throw new BenchmarkException($"{where}: the model's input is a {meta.OnnxValueType}, not a tensor");
        }

        if ((int)meta.ElementDataType != tensor.ElementType)
        {
            throw new BenchmarkException($"{where} is {TensorSet.TypeName(tensor.ElementType)}; the model wants {TensorSet.TypeName((int)meta.ElementDataType)}");
        }

        var dims = meta.Dimensions;
        var fits = dims.Length == tensor.Dims.Length && dims.Zip(tensor.Dims).All(p => p.First <= 0 ? p.Second > 0 : p.First == p.Second);
        if (!fits)
        {
            throw new BenchmarkException($"{where} has shape [{string.Join(',', tensor.Dims)}]; the model wants [{string.Join(',', dims.Select(d => d > 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : "?"))}]");
        }

        var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, meta.ElementDataType, tensor.Dims);
        tensor.Data.CopyTo(value.GetTensorMutableRawData());
        return value;
    }
}
