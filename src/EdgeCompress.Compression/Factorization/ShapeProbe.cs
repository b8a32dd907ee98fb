using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Runtime;

namespace EdgeCompress.Compression.Factorization;

/// <summary>
/// Observes the shapes of chosen values by running the model once in ONNX Runtime on a synthetic sample (dynamic
/// dimensions set to 1). MAC counts come from these real shapes, so no shape inference is duplicated here.
/// </summary>
internal static class ShapeProbe
{
    /// <summary>Dims of each requested value that the run produced; throws <see cref="ModelRunException"/> or
    /// <see cref="DataException"/> when the model cannot be run.</summary>
    public static Dictionary<string, long[]> Observe(OnnxModel model, IReadOnlyCollection<string> values)
    {
        var graphInputs = model.Graph.RealInputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var extras = values.Where(v => !graphInputs.Contains(v)).Distinct(StringComparer.Ordinal).ToArray();
        using var runner = ModelRunner.Create(model, "factorize shape probe", new RunnerOptions { ExtraOutputs = extras });
        var sample = DataSpec.Parse("synthetic:1").Open(runner.Inputs).First();
        var dims = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var t in sample.Inputs)
        {
            if (t.Name is not null)
            {
                dims[t.Name] = t.Dims;
            }
        }
        foreach (var output in runner.Run(sample))
        {
            dims[output.Name] = output.Dims;
        }
        return dims;
    }
}
