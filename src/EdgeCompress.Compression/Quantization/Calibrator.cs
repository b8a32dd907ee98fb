using EdgeCompress.Compression.Runtime;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Quantization;

/// <summary>What calibration saw: one streaming histogram per float tensor, and how many samples went through.</summary>
public sealed class CalibrationResult
{
    internal CalibrationResult(Dictionary<string, TensorHistogram> histograms, int samples)
    {
        Histograms = histograms;
        Samples = samples;
    }

    /// <summary>Histograms by tensor name (float tensors only).</summary>
    public IReadOnlyDictionary<string, TensorHistogram> Histograms { get; }

    /// <summary>Samples (batch rows) that were run.</summary>
    public int Samples { get; }

    /// <summary>The range of every calibrated tensor under a method.</summary>
    public Dictionary<string, FloatRange> Ranges(CalibrationMethod method, double percentile) =>
        Histograms.ToDictionary(kv => kv.Key, kv => kv.Value.RangeFor(method, percentile), StringComparer.Ordinal);
}

/// <summary>
/// Streams samples through ONNX Runtime with the wanted intermediate tensors exposed as outputs and folds every
/// value into per-tensor histograms; no tensor is kept after its batch, so memory does not grow with the data.
/// </summary>
public static class Calibrator
{
    /// <summary>Runs the samples and returns the histograms of the float tensors among <paramref name="tensors"/>.</summary>
    /// <exception cref="DataException">The data does not fit the model (shape or type), or no sample came.</exception>
    public static CalibrationResult Collect(OnnxModel model, IEnumerable<string> tensors, DataSpec data, int batchSize = 32,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        var wanted = tensors.Distinct(StringComparer.Ordinal).ToList();
        using var runner = ModelRunner.Create(model, "calibration model", new RunnerOptions { ExtraOutputs = wanted, Threads = 0 });
        var floats = wanted.Where(n => runner.OutputTypes.TryGetValue(n, out var t) && t == TensorProto.Types.DataType.Float).ToHashSet(StringComparer.Ordinal);
        var histograms = floats.ToDictionary(n => n, _ => new TensorHistogram(), StringComparer.Ordinal);
        var rows = 0;
        var nextReport = 0;
        foreach (var sample in data.Open(runner.Inputs, batchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            IReadOnlyList<RunOutput> outputs;
            try
            {
                outputs = runner.Run(sample);
            }
            catch (ModelRunException e)
            {
                throw new DataException($"calibration data '{data.Text}' does not fit the model: {e.Message}", e);
            }
            foreach (var o in outputs)
            {
                if (histograms.TryGetValue(o.Name, out var h))
                {
                    h.Add(o.Values);
                }
            }
            rows += (int)(sample.Inputs[0].Dims.Length > 0 ? sample.Inputs[0].Dims[0] : 1);
            if (rows >= nextReport)
            {
                progress?.Report($"calibrating: {rows} samples");
                nextReport = rows + 500;
            }
        }
        if (rows == 0)
        {
            throw new DataException($"calibration data '{data.Text}' gave no samples");
        }
        return new CalibrationResult(histograms, rows);
    }
}
