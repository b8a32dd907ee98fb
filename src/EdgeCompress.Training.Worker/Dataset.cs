using EdgeCompress.Data;
using EdgeCompress.Onnx.Protos;
using static TorchSharp.torch;

namespace EdgeCompress.Training.Worker;

/// <summary>A data set held as one input tensor [N, ...] and, when labelled, labels [N] (int64).</summary>
internal sealed class Dataset : IDisposable
{
    private Dataset(Tensor inputs, Tensor? labels, string spec)
    {
        Inputs = inputs;
        Labels = labels;
        Spec = spec;
    }

    public Tensor Inputs { get; }

    public Tensor? Labels { get; }

    public string Spec { get; }

    public long Count => Inputs.shape[0];

    /// <summary>
    /// Loads a DataSpec for a model input (Fashion-MNIST as [N,1,28,28] pixels in [0,1]; a tensor folder as the
    /// concatenation of its input tensors, unlabelled). Bad specs and missing files come out as input errors that
    /// name the file, and for Fashion-MNIST the Debian package.
    /// </summary>
    public static Dataset Load(string spec, InputSpec input)
    {
        DataSpec parsed;
        try
        {
            parsed = DataSpec.Parse(spec);
            if (parsed.Kind == DataKind.FashionMnist)
            {
                var pixels = new List<float>(784 * (parsed.Count ?? 60000));
                var labels = new List<long>(parsed.Count ?? 60000);
                foreach (var (p, label) in FashionMnist.Read(parsed.Split!, parsed.Count))
                {
                    pixels.AddRange(p);
                    labels.Add(label);
                }
                return new Dataset(tensor(pixels.ToArray(), [labels.Count, 1, 28, 28]), tensor(labels.ToArray()), spec);
            }
            var values = new List<float>();
            long[]? rowShape = null;
            long rows = 0;
            foreach (var sample in parsed.Open([input], batchSize: 256))
            {
                var t = sample.Inputs[0];
                if (t.Floats is null)
                {
                    throw new TrainingInputException($"data spec '{spec}': training needs float inputs, got {t.ElementType}");
                }
                rowShape ??= t.Dims[1..];
                values.AddRange(t.Floats);
                rows += t.Dims[0];
            }
            if (rowShape is null || rows == 0)
            {
                throw new TrainingInputException($"data spec '{spec}': holds no samples");
            }
            return new Dataset(tensor(values.ToArray(), [rows, .. rowShape]), null, spec);
        }
        catch (DataException e)
        {
            throw new TrainingInputException(e.Message, e);
        }
    }

    /// <summary>The model input description DataSpec wants, from a graph input.</summary>
    public static InputSpec InputOf(ValueInfoProto input)
    {
        var dims = input.Type?.TensorType?.Shape?.Dim.Select(d => d.HasDimValue ? d.DimValue : -1).ToArray() ?? [];
        var type = (TensorProto.Types.DataType)(input.Type?.TensorType?.ElemType ?? (int)TensorProto.Types.DataType.Float);
        return new InputSpec(input.Name, type, dims);
    }

    public void Dispose()
    {
        Inputs.Dispose();
        Labels?.Dispose();
    }
}
