using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using TorchSharp;
using static TorchSharp.torch;

namespace EdgeCompress.Training.Worker.Graph;

/// <summary>
/// Writes a trained GraphModule back as ONNX: the same nodes, inputs and outputs, with every initializer replaced by
/// the module's current value (weights, BatchNorm running statistics). Tensor types are kept as the source had them.
/// </summary>
internal static class ModelExport
{
    public static ModelProto Export(GraphModule module, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var model = module.Proto.Clone();
        var graph = model.Graph;
        for (var i = 0; i < graph.Initializer.Count; i++)
        {
            var init = graph.Initializer[i];
            Tensor? value = module.Weights.TryGetValue(init.Name, out var p) ? p : module.Constants.GetValueOrDefault(init.Name);
            if (value is null || value.dtype != ScalarType.Float32 || TensorData.TypeOf(init) != TensorProto.Types.DataType.Float)
            {
                continue;
            }
            using var cpu = value.detach().contiguous();
            graph.Initializer[i] = TensorData.FromFloats(init.Name, init.Dims.ToArray(), cpu.data<float>().ToArray());
        }
        foreach (var (k, v) in metadata ?? new Dictionary<string, string>())
        {
            var existing = model.MetadataProps.FirstOrDefault(e => e.Key == k);
            if (existing is not null)
            {
                existing.Value = v;
            }
            else
            {
                model.MetadataProps.Add(new StringStringEntryProto { Key = k, Value = v });
            }
        }
        return model;
    }
}
