using EdgeCompress.Onnx;
using EdgeCompress.Training.Worker.Graph;
using static TorchSharp.torch;
using EdgeCompress.Calibration;

namespace EdgeCompress.Training.Worker;

/// <summary>
/// Quantisation-aware training: fold BatchNorm into convs, calibrate activation ranges on training batches (this
/// alone is static post-training quantisation, measured as the PTQ figure), then train with fake-quantised weights
/// and activations and export a QDQ model. Reports float, PTQ and QAT accuracy on the evaluation data.
/// </summary>
internal sealed class QatJob(WorkerRequest request, EventSink events, CancellationToken cancel)
{
    private const int CalibrationBatches = 16;

    public TrainingResult Run()
    {
        var output = request.OutputPath ?? throw new TrainingInputException("qat needs an output path");
        var source = Jobs.Load(request.ModelPath ?? throw new TrainingInputException("qat needs a model"), "model");
        var folded = BatchNormFolding.Fold(source);
        using var model = new GraphModule(folded);
        var quant = new FakeQuant(folded, request.ActivationType == "int8", request.PerChannelWeights, request.ReduceRange);
        quant.Attach(model);
        var input = Dataset.InputOf(folded.Graph.Input.First(i => i.Name == model.InputName));
        using var train = Dataset.Load(request.Data, input, request.Preprocess);
        using var eval = request.EvalData is { } e ? Dataset.Load(e, input, request.Preprocess) : null;

        quant.Enabled = false;
        quant.Observing = false;
        double? floatAccuracy = eval?.Labels is null ? null : Trainer.Evaluate(model, eval);
        var method = Method();
        quant.Histograms = method is null ? null : new(StringComparer.Ordinal);
        Calibrate(model, train, quant);
        if (method is { } histogramMethod)
        {
            quant.UseHistograms(histogramMethod, request.Percentile);
        }
        quant.Enabled = true;
        quant.Observing = false;
        double? ptqAccuracy = eval?.Labels is null ? null : Trainer.Evaluate(model, eval);
        events.Log($"float {Percent(floatAccuracy)}, static PTQ ({request.CalibrationMethod} ranges from {CalibrationBatchCount(train.Count)} batches) {Percent(ptqAccuracy)}");

        // Frozen ranges: only the weights learn to live with the calibrated clipping (as TensorRT's QAT does);
        // otherwise the ranges keep following the activations as training changes them.
        quant.Observing = !request.FreezeRanges;
        var result = new Trainer(request, events, cancel).Run(model, train, null, null, request.CheckpointPath ?? output + ".ckpt");
        if (result.Cancelled)
        {
            return result;
        }
        quant.Observing = false;
        double? qatAccuracy = eval?.Labels is null ? null : Trainer.Evaluate(model, eval);
        var meta = new Dictionary<string, string>
        {
            ["edgec.quantization"] = $"QDQ: weights int8 {(request.PerChannelWeights ? "per-channel" : "per-tensor")} symmetric{(request.ReduceRange ? " 7-bit (reduce-range)" : "")}, activations {request.ActivationType} per-tensor " +
                $"({request.CalibrationMethod} ranges{(request.FreezeRanges ? ", frozen" : "")}); quantisation-aware trained",
        };
        if (qatAccuracy is { } q)
        {
            meta["edgec.accuracy"] = $"{q:F4} on {request.EvalData}";
        }
        new OnnxModel(QdqExport.Export(model, quant, meta)).Save(output);
        Checkpoint.Delete(request.CheckpointPath ?? output + ".ckpt");
        return result with { OutputPath = output, Accuracy = qatAccuracy, FloatAccuracy = floatAccuracy, PtqAccuracy = ptqAccuracy };
    }

    private void Calibrate(GraphModule model, Dataset train, FakeQuant quant)
    {
        quant.Observing = true;
        model.eval();
        using (no_grad())
        {
            var batch = Math.Max(1, request.BatchSize);
            var batches = CalibrationBatchCount(train.Count);
            for (var b = 0; b < batches; b++)
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                model.forward(train.Inputs.narrow(0, (long)b * batch, Math.Min(batch, train.Count - (long)b * batch)));
                events.Progress(new TrainingProgress("calibrate", 0, request.Epochs, b + 1, batches, 0, null, null, 0));
            }
        }
        model.train();
    }

    /// <summary>Batches calibration looks at: 16, or as many as the training data fills (48 images in batches of 8: 6).</summary>
    private int CalibrationBatchCount(long samples) =>
        (int)Math.Min(CalibrationBatches, (samples + Math.Max(1, request.BatchSize) - 1) / Math.Max(1, request.BatchSize));

    /// <summary>The histogram method, or null for the moving average; anything else is an input error.</summary>
    private CalibrationMethod? Method() => request.CalibrationMethod switch
    {
        "ema" => null,
        "minmax" => CalibrationMethod.MinMax,
        "percentile" when request.Percentile is > 50 and <= 100 => CalibrationMethod.Percentile,
        "percentile" => throw new TrainingInputException($"percentile {request.Percentile}: must be above 50 and at most 100"),
        "entropy" => CalibrationMethod.Entropy,
        _ => throw new TrainingInputException($"calibration method '{request.CalibrationMethod}': expected ema, minmax, percentile or entropy"),
    };

    private static string Percent(double? a) => a is { } v ? $"{v * 100:F2}%" : "n/a";
}
