using EdgeCompress.Training.Worker.Graph;
using static TorchSharp.torch;

namespace EdgeCompress.Training.Worker;

/// <summary>
/// Checks that a run left a model worth writing: every weight and statistic finite, and top-1 agreement with a
/// reference (the labels, or else the teacher's top class) on a fixed probe of training rows no worse than before
/// training. Why: libtorch kernels have produced all-NaN convolutions and silent collapses to chance level on some
/// CPUs (see WorkerLocator); a run like that must fail loudly instead of writing a 10% model.
/// </summary>
internal sealed class TrainingHealth
{
    /// <summary>Rows in the probe: enough that one point of agreement is 10 rows, cheap next to an epoch.</summary>
    private const int ProbeRows = 1000;

    /// <summary>How far agreement may fall before the run counts as having made the model worse (probe noise), at least three probe rows.</summary>
    public const double Tolerance = 0.02;

    private readonly Tensor? _probe;
    private readonly Tensor? _reference;
    private readonly string _referenceName;

    private TrainingHealth(Tensor? probe, Tensor? reference, string referenceName, double? before)
    {
        _probe = probe;
        _reference = reference;
        _referenceName = referenceName;
        Before = before;
    }

    /// <summary>Agreement of the model before training (null when there is no reference to agree with).</summary>
    public double? Before { get; }

    /// <summary>Measures the untrained model on the probe: the first rows of the training data.</summary>
    public static TrainingHealth Start(GraphModule model, Dataset train, Tensor? teacherLogits)
    {
        var rows = Math.Min(ProbeRows, train.Count);
        var probe = train.Inputs.narrow(0, 0, rows);
        var (reference, name) = train.Labels is { } labels ? (labels.narrow(0, 0, rows), "the training labels")
            : teacherLogits is { } t ? (t.narrow(0, 0, rows).argmax(1), "the teacher")
            : ((Tensor?)null, "");
        return new TrainingHealth(probe, reference, name, reference is null ? null : Agreement(model, probe, reference));
    }

    /// <summary>Throws <see cref="TrainingFailedException"/> when the trained model is unfit to write.</summary>
    public double? Check(GraphModule model)
    {
        foreach (var (name, p) in model.Weights)
        {
            RequireFinite(p, name);
        }
        foreach (var (name, c) in model.Constants)
        {
            RequireFinite(c, name);
        }
        if (_reference is null || Before is not { } before)
        {
            return null;
        }
        var after = Agreement(model, _probe!, _reference);
        // On a small probe one row is several points: allow three rows of noise there (a collapse still fails).
        if (after < before - Math.Max(Tolerance, 3.0 / _probe!.shape[0]))
        {
            throw new TrainingFailedException(FormattableString.Invariant(
                $"training made the model worse: top-1 agreement with {_referenceName} on the first {_probe!.shape[0]} training rows fell from {before * 100:F1}% to {after * 100:F1}%; no model written"));
        }
        return after;
    }

    private static void RequireFinite(Tensor t, string name)
    {
        if (t.is_floating_point() && !isfinite(t).all().item<bool>())
        {
            throw new TrainingFailedException($"training left non-finite values in '{name}'; no model written");
        }
    }

    /// <summary>Agreement on the probe, or NaN when the model's output is not one row of class scores per sample.</summary>
    private static double Agreement(GraphModule model, Tensor probe, Tensor reference)
    {
        var wasTraining = model.training;
        try
        {
            model.eval();
            using (no_grad())
            using (NewDisposeScope())
            {
                if (model.forward(probe.narrow(0, 0, 1)).dim() != 2)
                {
                    return double.NaN;
                }
            }
            return Trainer.Agreement(model, probe, reference);
        }
        finally
        {
            if (wasTraining)
            {
                model.train();
            }
        }
    }
}
