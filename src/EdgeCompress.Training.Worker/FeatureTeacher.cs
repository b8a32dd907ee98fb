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
