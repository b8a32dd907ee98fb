using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Passes;
using EdgeCompress.Data;
using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Quantization;

/// <summary>What <see cref="QuantizeJob"/> did: every figure the verb prints, and the model it would write.</summary>
/// <param name="Prepared">The graph preparation's record (folding, opset upgrade...).</param>
/// <param name="Result">The quantized model and its record (after the speed check, when it ran).</param>
/// <param name="Calibration">Calibrated activation ranges (static mode).</param>
/// <param name="Guard">The accuracy guard's search, when a budget was enforced.</param>
/// <param name="Speed">The int8-vs-float speed check, when it ran.</param>
/// <param name="Quality">The quality of <see cref="Result"/>'s model against the float one, when there was data to judge on.</param>
/// <param name="NothingQuantized">Why nothing became int8 (then nothing should be written); null otherwise.</param>
public sealed record QuantizeOutcome(PassResult Prepared, PassResult Result, CalibrationResult? Calibration, GuardOutcome? Guard,
    SpeedCheckOutcome? Speed, QualityResult? Quality, string? NothingQuantized);

/// <summary>
/// The quantize use case, as `edgec quantize` runs it: prepare and calibrate, quantize (inside the accuracy guard's
/// search when a budget is enforced), time int8 against float and keep slower layer kinds float, then judge the model
/// that would be written. Writes nothing; the verb decides what to save and print.
/// </summary>
public static class QuantizeJob
{
    /// <summary>Runs the job on a float32 model (<paramref name="judgeOn"/>: data to judge quality on, or null;
    /// <paramref name="speedCheck"/>: whether the int8-vs-float timing applies on this host).</summary>
    public static QuantizeOutcome Run(OnnxModel input, QuantizationOptions options, DataSpec? calibration, DataSpec? judgeOn, QualitySettings budget,
        bool speedCheck, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(budget);
        var (prepared, cal) = QuantizationPipeline.PrepareAndCalibrate(input, options, calibration, progress, cancellationToken);
        QualityResult Judge(OnnxModel m) => QualityCheck.Compare(input, m, judgeOn!, budget, progress, cancellationToken);
        GuardOutcome? guard = null;
        PassResult result;
        if (judgeOn is not null && (budget.Enforced || budget.Metric is not null))
        {
            guard = AccuracyGuard.Run(prepared.Model, options, cal, judgeOn, Judge, progress, cancellationToken);
            result = guard.Best;
        }
        else
        {
            result = QuantizationPipeline.Quantize(prepared.Model, options, cal, progress, cancellationToken);
        }
        // A run that turned nothing int8 would write a copy of the float model (larger, after the Q/DQ bookkeeping).
        if (QuantizationPipeline.WhyNothingQuantized(result.Record, options.Mode, input) is { } nothing)
        {
            return new QuantizeOutcome(prepared, result, cal, guard, null, null, nothing);
        }
        var speed = speedCheck
            ? Int8SpeedCheck.Run(input, prepared.Model, result, guard is { Met: true } ? options.WithExcluded(options.Exclude.Concat(guard.KeptFloat)) : options,
                cal, calibration ?? judgeOn, progress, cancellationToken)
            : null;
        // The guard's judgement holds only for the model it judged; one the speed check changed is judged again.
        var judged = speed is null || ReferenceEquals(speed.Result, result) ? guard?.Quality : null;
        result = speed?.Result ?? result;
        // Judged before anything is written: a model ONNX Runtime cannot run, or one that fails a budget, is never saved.
        var quality = judged ?? (judgeOn is null ? null : Judge(result.Model));
        return new QuantizeOutcome(prepared, result, cal, guard, speed, quality, null);
    }
}
