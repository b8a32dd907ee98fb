using EdgeCompress.Onnx.Protos;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace EdgeCompress.Training.Worker;

/// <summary>
/// The teacher in ONNX Runtime with some intermediate tensors added as extra graph outputs, run per training batch.
/// Why per batch and not precomputed like the logits: feature maps for a whole training set (60k x 64x14x14 floats is
/// 30 GB) do not fit in memory. The graph is changed in memory only; the teacher file is never written.
/// </summary>
internal sealed class FeatureTeacher : IDisposable
{
    private readonly InferenceSession _session;
    private readonly SessionOptions _options;
    private readonly string _inputName;
    private readonly int? _fixedBatch;
    private readonly string[] _outputs;
    private readonly string _label;

    /// <summary>Opens the teacher with its first output (logits) followed by <paramref name="extraOutputs"/>.</summary>
    public FeatureTeacher(ModelProto teacher, string label, IReadOnlyList<string> extraOutputs)
    {
        _label = label;
        var proto = teacher.Clone();
        var existing = proto.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in extraOutputs.Where(existing.Add))
        {
            // A name alone is enough: ONNX Runtime infers the type and shape from the producing node.
            proto.Graph.Output.Add(new ValueInfoProto { Name = name });
        }
        var logits = proto.Graph.Output[0].Name;
        _outputs = [logits, .. extraOutputs.Where(n => n != logits).Distinct(StringComparer.Ordinal)];
        _options = new SessionOptions
        {
            IntraOpNumThreads = Math.Max(1, get_num_threads()),
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        try
        {
            _session = new InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(proto), _options);
        }
        catch (OnnxRuntimeException e)
        {
            _options.Dispose();
            throw new TrainingInputException($"{label}: ONNX Runtime cannot load the teacher ({e.Message.Split('\n')[0].Trim()})", e);
        }
        _inputName = _session.InputMetadata.Keys.First();
        // Models from the wild often fix the batch at export (torch.onnx.export with a [1,3,224,224] example): such a
        // teacher is run in slices of its own batch size, the last one padded.
        _fixedBatch = _session.InputMetadata[_inputName].Dimensions is [> 0 and var fixedBatch, ..] ? fixedBatch : null;
        foreach (var name in extraOutputs)
        {
            if (_session.OutputMetadata.TryGetValue(name, out var meta) && meta.ElementDataType != TensorElementType.Float)
            {
                Dispose();
                throw new TrainingInputException($"{label}: tensor '{name}' is {meta.ElementDataType}, not float; feature distillation matches float activations");
            }
        }
    }

    /// <summary>
    /// Runs one batch (float, on the CPU) and returns the teacher's logits and every asked-for tensor by name, as
    /// TorchSharp tensors that need no gradient (created in the caller's dispose scope).
    /// </summary>
    public (Tensor Logits, Dictionary<string, Tensor> Features) Run(Tensor batch)
    {
        var rows = batch.shape[0];
        if (_fixedBatch is not { } size || rows == size)
        {
            return RunOnce(batch);
        }

        var parts = new List<Dictionary<string, Tensor>>();
        for (long start = 0; start < rows; start += size)
        {
            using var slice = batch.narrow(0, start, Math.Min(size, rows - start));
            var take = slice.shape[0];
            if (take < size)
            {
                // The last slice, padded with zero rows that are dropped again from every output.
                var padShape = slice.shape.ToArray();
                padShape[0] = size - take;
                using var padding = zeros(padShape, slice.dtype);
                using var padded = cat([slice, padding], 0);
                parts.Add(RunOnce(padded).Features.ToDictionary(kv => kv.Key, kv => kv.Value.narrow(0, 0, take), StringComparer.Ordinal));
            }
            else
            {
                parts.Add(RunOnce(slice).Features);
            }
        }

        var features = parts[0].Keys.ToDictionary(name => name, name => cat(parts.Select(p => p[name]).ToList(), 0), StringComparer.Ordinal);
        return (features[_outputs[0]], features);
    }

    private (Tensor Logits, Dictionary<string, Tensor> Features) RunOnce(Tensor batch)
    {
        using var contiguous = batch.detach().contiguous();
        var dims = contiguous.shape.Select(d => (int)d).ToArray();
        var input = new DenseTensor<float>(contiguous.data<float>().ToArray(), dims);
        IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results;
        try
        {
            results = _session.Run([NamedOnnxValue.CreateFromTensor(_inputName, input)], _outputs);
        }
        catch (OnnxRuntimeException e)
        {
            // The probe batch in FeatureDistiller.Create meets this first, so a teacher that cannot take the
            // training data stops before any training.
            throw new TrainingInputException($"{_label}: ONNX Runtime cannot run the teacher on a batch of shape [{string.Join(',', dims)}] ({e.Message.Split('\n')[0].Trim()})", e);
        }
        using (results)
        {
            var features = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var r in results)
            {
                var t = r.AsTensor<float>();
                features[r.Name] = tensor(t.ToArray(), t.Dimensions.ToArray().Select(d => (long)d).ToArray());
            }
            return (features[_outputs[0]], features);
        }
    }

    public void Dispose()
    {
        _session.Dispose();
        _options.Dispose();
    }
}
