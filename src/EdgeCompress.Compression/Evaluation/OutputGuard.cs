using System.Globalization;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Runtime;

namespace EdgeCompress.Compression.Evaluation;

/// <summary>How far a compressed model's outputs may move from the original's, in each measure's own units.</summary>
public sealed record GuardLimits
{
    /// <summary>Decisions (score threshold, argmax, top-1) may disagree on at most this many percent of samples.</summary>
    public double MaxDisagreementPoints { get; init; } = 1;

    /// <summary>A score or probability may move by at most this much.</summary>
    public double MaxScoreDifference { get; init; } = 0.05;

    /// <summary>A dense output needs at least this SQNR (20 dB: noise a hundredth of the signal's power).</summary>
    public double MinSqnrDb { get; init; } = 20;

    /// <summary>Every output's cosine must reach this.</summary>
    public double MinCosine { get; init; } = 0.99;
}

/// <summary>
/// The quality guard without labels: every output of a candidate against the original's, each by the measure that
/// fits it (<see cref="OutputFidelity"/>); pass or fail goes by the worst output.
/// </summary>
public sealed class OutputGuard
{
    private readonly Dictionary<string, OutputFidelity> _outputs = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly double _threshold;

    /// <summary>Creates a guard; <paramref name="threshold"/> is the decision threshold of score outputs.</summary>
    public OutputGuard(double threshold = 0.5) => _threshold = threshold;

    /// <summary>The comparisons, in the model's output order.</summary>
    public IReadOnlyList<OutputFidelity> Outputs => _order.Select(n => _outputs[n]).ToList();

    /// <summary>Adds one batch: the original's outputs and the candidate's, matched by name.</summary>
    public void Add(IReadOnlyList<RunOutput> reference, IReadOnlyList<RunOutput> candidate)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(candidate);
        foreach (var want in reference)
        {
            var got = candidate.FirstOrDefault(o => o.Name == want.Name)
                ?? throw new ModelRunException($"the compressed model has no output '{want.Name}'");
            if (!_outputs.TryGetValue(want.Name, out var comparison))
            {
                comparison = new OutputFidelity(want.Name, threshold: _threshold);
                _outputs[want.Name] = comparison;
                _order.Add(want.Name);
            }
            comparison.Add(want, got);
        }
    }

    /// <summary>Why an output fails the limits, or null when it passes.</summary>
    public static string? Failure(Manifest.ManifestOutput o, GuardLimits limits)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(limits);
        var c = CultureInfo.InvariantCulture;
        if (o.InputSpread is < OutputFidelity.MinInputSpread)
        {
            return string.Create(c, $"'{o.Name}' of the original hardly changes with the input (spread {o.InputSpread:0.0e+0}; untrained or collapsed weights?), so matching it proves nothing");
        }
        if (o.AgreementPercent is { } agree && 100 - agree > limits.MaxDisagreementPoints + 1e-9)
        {
            return string.Create(c, $"'{o.Name}' decisions agree on {agree:F1}% of samples (at least {100 - limits.MaxDisagreementPoints:F1}% needed)");
        }
        if (o.Kind is "score" or "probabilities" && o.MaxAbsDifference > limits.MaxScoreDifference)
        {
            return string.Create(c, $"'{o.Name}' moved by up to {o.MaxAbsDifference:F4} (at most {limits.MaxScoreDifference} allowed)");
        }
        if (o.Kind is "dense" && o.SqnrDb is { } sqnr && sqnr < limits.MinSqnrDb)
        {
            return string.Create(c, $"'{o.Name}' SQNR {sqnr:F1} dB (at least {limits.MinSqnrDb} dB needed)");
        }
        return o.Cosine < limits.MinCosine ? string.Create(c, $"'{o.Name}' cosine {o.Cosine:F5} (at least {limits.MinCosine} needed)") : null;
    }

    /// <summary>The first failing output's reason, or null when every output passes.</summary>
    public static string? Failure(IEnumerable<Manifest.ManifestOutput> outputs, GuardLimits limits) =>
        outputs.Select(o => Failure(o, limits)).FirstOrDefault(f => f is not null);

    /// <summary>The first failing output's reason, or null when every output passes.</summary>
    public string? Failure(GuardLimits limits) => Failure(Outputs.Select(o => o.ToManifest()), limits);

    /// <summary>The lowest cosine over the outputs (1 when none was compared).</summary>
    public double WorstCosine => _outputs.Count == 0 ? 1 : _outputs.Values.Min(o => o.Cosine);

    /// <summary>One line per output: its name and the figures that judge it.</summary>
    public IEnumerable<string> Lines() => Outputs.Select(o => $"{o.Name}: {o.Describe()}");
}
