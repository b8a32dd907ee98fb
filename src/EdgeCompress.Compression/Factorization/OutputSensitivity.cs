using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Runtime;

namespace EdgeCompress.Compression.Factorization;

/// <summary>
/// How much each layer's factorization costs at the model's output, measured on calibration samples: for every
/// layer alone, at checkpoints along the path the rank search walks (largest ranks down to 1), the model is
/// rewritten and run, and the relative squared error of its first output against the original's is recorded.
/// Between checkpoints the error is interpolated along the layer's weight error, which orders the path. The weight
/// error says nothing about how a layer's error travels to the output (a 10-class head loses far more per unit of
/// weight error than a wide hidden layer does), and this is what lets a parameter target spread ranks by it.
/// </summary>
internal sealed class OutputSensitivity
{
    // Checkpoints per layer: where the path's weights cross these fractions of the dense layer's, and its end.
    private static readonly double[] Fractions = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05];

    private readonly Dictionary<LayerPlan, (double Predicted, double Measured)[]> _curves;

    private OutputSensitivity(Dictionary<LayerPlan, (double, double)[]> curves, int samples)
    {
        _curves = curves;
        Samples = samples;
    }

    /// <summary>Calibration rows the errors were measured on.</summary>
    public int Samples { get; }

    /// <summary>
    /// Measures every plan's curve. <paramref name="original"/> is the unmodified model the plans were made from
    /// (their nodes are found in copies of it by value). Throws <see cref="ModelRunException"/> or
    /// <see cref="DataException"/> when the model cannot run on the data.
    /// </summary>
    public static OutputSensitivity Measure(OnnxModel original, IReadOnlyList<LayerPlan> plans, FactorizeOptions options, long opset,
        IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var spec = options.Calibration ?? throw new InvalidOperationException("no calibration data");
        List<Sample> samples;
        List<float[]> reference;
        using (var runner = ModelRunner.Create(original, "original"))
        {
            samples = spec.Open(runner.Inputs, batchSize: 64).ToList();
            reference = samples.Select(s => runner.Run(s)[0].Values).ToList();
        }
        var rows = samples.Sum(s => s.Inputs.Count == 0 || s.Inputs[0].Dims.Length == 0 ? 1 : (int)Math.Max(1, s.Inputs[0].Dims[0]));
        var curves = new Dictionary<LayerPlan, (double, double)[]>();
        foreach (var plan in plans)
        {
            var points = new List<(double, double)> { (0, 0) };
            var checkpoints = Checkpoints(plan, RankSelector.Path(plan, options.RoundTo));
            for (var i = 0; i < checkpoints.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Report($"sensitivity of {plan.Label}: ranks {LayerPlan.Text(checkpoints[i])} ({i + 1}/{checkpoints.Count})");
                var trial = new OnnxModel(original.Proto.Clone(), original.SourcePath);
                plan.Rewrite(trial.Graph, checkpoints[i], options, opset);
                FactorizePass.ListInitializersAsInputsIfRequired(trial);
                points.Add((plan.PredictedError(checkpoints[i]), RelativeError(trial, samples, reference)));
            }
            // Output error never falls as ranks fall; a checkpoint below its predecessor is measurement noise.
            var sorted = points.OrderBy(p => p.Item1).ToArray();
            for (var i = 1; i < sorted.Length; i++)
            {
                sorted[i].Item2 = Math.Max(sorted[i].Item2, sorted[i - 1].Item2);
            }
            curves[plan] = sorted;
        }
        return new OutputSensitivity(curves, rows);
    }

    /// <summary>The output's relative squared error with only this layer factorized at these ranks (interpolated).</summary>
    public double Error(LayerPlan plan, int[] ranks)
    {
        var curve = _curves[plan];
        var x = plan.PredictedError(ranks);
        for (var i = 1; i < curve.Length; i++)
        {
            if (x <= curve[i].Predicted)
            {
                var (x0, y0) = curve[i - 1];
                var (x1, y1) = curve[i];
                return x1 <= x0 ? y1 : y0 + ((y1 - y0) * (x - x0) / (x1 - x0));
            }
        }
        return curve[^1].Measured;
    }

    private static List<int[]> Checkpoints(LayerPlan plan, List<int[]> path)
    {
        var chosen = new List<int[]>();
        var next = 0;
        foreach (var ranks in path)
        {
            var fraction = (double)plan.Params(ranks) / plan.DenseParams;
            if (next < Fractions.Length && fraction <= Fractions[next])
            {
                chosen.Add(ranks);
                while (next < Fractions.Length && fraction <= Fractions[next])
                {
                    next++;
                }
            }
        }
        if (path.Count > 0 && (chosen.Count == 0 || !ReferenceEquals(chosen[^1], path[^1])))
        {
            chosen.Add(path[^1]);
        }
        return chosen;
    }

    private static double RelativeError(OnnxModel model, List<Sample> samples, List<float[]> reference)
    {
        using var runner = ModelRunner.Create(model, "trial");
        double error = 0, energy = 0;
        for (var i = 0; i < samples.Count; i++)
        {
            var output = runner.Run(samples[i])[0].Values;
            var expected = reference[i];
            for (var j = 0; j < expected.Length; j++)
            {
                var d = (double)output[j] - expected[j];
                error += d * d;
                energy += (double)expected[j] * expected[j];
            }
        }
        return energy > 0 ? error / energy : error;
    }
}
