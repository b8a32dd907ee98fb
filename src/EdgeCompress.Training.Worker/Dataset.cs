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
    /// Loads a DataSpec for a model input: Fashion-MNIST as [N,1,28,28] pixels in [0,1]; any other kind as the
    /// concatenation of its batches, with labels when the kind has them (image class folders, labels.csv). Image
    /// folders are preprocessed by <paramref name="preprocessJson"/> (the job's Preprocess) or else the folder's
    /// preprocess.json or the input's defaults, as the CLI reads them. Bad specs and missing files come out as input
    /// errors that name the file, and for Fashion-MNIST the Debian package.
    /// </summary>
    public static Dataset Load(string spec, InputSpec input, string? preprocessJson = null)
    {
        try
        {
            var preprocess = preprocessJson is null ? null : Preprocess.FromJson(preprocessJson, "the job's preprocess");
            var parsed = DataSpec.Parse(spec, preprocess);
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
            var rowLabels = parsed.IsLabelled ? new List<long>() : null;
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
                if (rowLabels is not null)
                {
                    rowLabels.AddRange((sample.Labels ?? throw new TrainingInputException($"data spec '{spec}': a batch came without labels")).Select(l => (long)l));
                }
            }
            if (rowShape is null || rows == 0)
            {
                throw new TrainingInputException($"data spec '{spec}': holds no samples");
            }
            return new Dataset(tensor(values.ToArray(), [rows, .. rowShape]), rowLabels is null ? null : tensor(rowLabels.ToArray()), spec);
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
