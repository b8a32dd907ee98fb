using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Execution;

/// <summary>
/// Bytes per sample of a model's intermediate float tensors at the data's real input shape: from shape inference
/// where it resolves the shape, otherwise measured by running one sample with a few of the unknown tensors exposed
/// at a time. What lets calibration and fidelity runs size their batches and groups before they run, instead of
/// finding the machine's memory limit by running out of it.
/// </summary>
public sealed class ActivationSizes
{
    /// <summary>Unknown tensors exposed together in one measuring run.</summary>
    private const int ProbeGroup = 16;

    private readonly Dictionary<string, long> _bytes;

    private ActivationSizes(Dictionary<string, long> bytes) => _bytes = bytes;

    /// <summary>Bytes one sample of the tensor takes (0 when it never came out of a run).</summary>
    public long BytesPerSample(string tensor) => _bytes.GetValueOrDefault(tensor);

    /// <summary>All tensors' bytes per sample together.</summary>
    public long Total => _bytes.Values.Sum();

    /// <summary>
    /// Sizes <paramref name="tensors"/> (float intermediates of <paramref name="model"/>) at the shape of
    /// <paramref name="firstSample"/> (one batch row).
    /// </summary>
    public static ActivationSizes Measure(OnnxModel model, IReadOnlyList<string> tensors, Sample firstSample, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(firstSample);
        var bytes = new Dictionary<string, long>(StringComparer.Ordinal);
        var inferred = Infer(model, firstSample);
        var unknown = new List<string>();
        foreach (var name in tensors)
        {
            if (inferred?.TypeOf(name)?.ElementCount() is { } count)
            {
                bytes[name] = count * sizeof(float);
            }
            else
            {
                unknown.Add(name);
            }
        }
        foreach (var chunk in unknown.Chunk(ProbeGroup))
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var runner = ModelRunner.Create(model, "calibration model", new RunnerOptions { ExtraOutputs = chunk, Threads = 0 });
            var wanted = chunk.ToHashSet(StringComparer.Ordinal);
            runner.Visit(firstSample, (name, values) =>
            {
                if (wanted.Contains(name))
                {
                    bytes[name] = (long)values.Length * sizeof(float);
                }
            });
        }
        return new ActivationSizes(bytes);
    }

    /// <summary>The default bound on the float tensors one run of a model computes (summed over its nodes), used to
    /// size evaluation batches.</summary>
    public const long DefaultRunBound = 512L << 20;

    /// <summary>
    /// A batch size for running whole samples through <paramref name="model"/> (outputs only, no exposed
    /// intermediates): <paramref name="wanted"/>, shrunk so that the float tensors its nodes compute, summed over
    /// the graph at the shape of <paramref name="firstSample"/>, stay within <paramref name="bound"/>. The sum is an
    /// upper bound on what ONNX Runtime holds (it reuses buffers); tensors shape inference cannot size are not
    /// counted. A 1024x1024 segmentation model gets batch 1, a 28x28 classifier keeps 64.
    /// </summary>
    public static int BatchFor(OnnxModel model, Sample firstSample, int wanted, long bound = DefaultRunBound)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(firstSample);
        ArgumentOutOfRangeException.ThrowIfLessThan(bound, 1);
        var rows = firstSample.Inputs.Count > 0 && firstSample.Inputs[0].Dims.Length > 0 ? Math.Max(firstSample.Inputs[0].Dims[0], 1) : 1;
        var inferred = Infer(model, firstSample);
        if (inferred is null)
        {
            return Math.Max(wanted, 1);
        }
        long total = 0;
        foreach (var output in model.Graph.Nodes.SelectMany(n => n.Output))
        {
            if (inferred.TypeOf(output) is { ElementType: TensorProto.Types.DataType.Float } t && t.ElementCount() is { } count)
            {
                total += count * sizeof(float);
            }
        }
        var perSample = Math.Max(total / rows, 1);
        return (int)Math.Clamp(bound / perSample, 1, Math.Max(wanted, 1));
    }

    private static ShapeInferenceResult? Infer(OnnxModel model, Sample sample)
    {
        var real = model.Graph.RealInputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var shapes = sample.Inputs
            .Where(t => t.Name is not null && real.Contains(t.Name))
            .ToDictionary(t => t.Name!, t => t.Dims, StringComparer.Ordinal);
        try
        {
            return ShapeInference.Infer(model, shapes);
        }
        catch (InputException)
        {
            // The sample's dims and the declared ones disagree in a way inference refuses (ORT decides at run time):
            // every size is then measured.
            return null;
        }
    }
}
