using System.Globalization;
using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Compression.Pruning;
using EdgeCompress.Data;
using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Passes;

/// <summary>What prune or factorize asked for: the pass, optional fine-tuning, and the data the guard may judge on.</summary>
/// <param name="Pass">The pass, built from its typed step.</param>
/// <param name="FineTuner">Recovers accuracy by distilling from the input model (the training worker), or null.</param>
/// <param name="FineTuneData">Data to fine-tune on, or null for none.</param>
/// <param name="Guard">The quality budget (limits, metric, whether a miss stops the command).</param>
/// <param name="JudgeCandidates">The data the run was given, in order of preference for judging quality (the first
/// one given wins; with none, random inputs shaped from the model).</param>
public sealed record PassJobRequest(ICompressionPass Pass, IPruneFineTuner? FineTuner, DataSpec? FineTuneData, QualitySettings Guard,
    IReadOnlyList<DataSpec?> JudgeCandidates);

/// <summary>What a pass run came to.</summary>
/// <param name="Model">The output model (fine-tuned when asked).</param>
/// <param name="Record">What the pass did per layer.</param>
/// <param name="Quality">The guard's figures against the input model, or null when it could not run.</param>
/// <param name="NotJudgedBecause">Why the guard could not run (no data random inputs can size), or null.</param>
public sealed record PassJobOutcome(OnnxModel Model, PassRecord Record, QualityResult? Quality, string? NotJudgedBecause)
{
    /// <summary>True when the output must not be written: the guard failed a budget the user set.</summary>
    public bool MissedBudget(QualitySettings guard) => Quality is { Passed: false } && guard is { Enforced: true };
}

/// <summary>
/// The prune and factorize use case: apply the pass, fine-tune from the input model when asked, and judge the output
/// against the input with the quality guard (always: on the data given, else random inputs). The caller prints and
/// writes; this never modifies the input model.
/// </summary>
public static class PassJob
{
    /// <summary>Samples the guard compares when the user gave no data of their own (random inputs).</summary>
    public const int SyntheticRows = 32;

    /// <summary>Runs the request on <paramref name="input"/>. A budget with nothing to judge on is refused before any work.</summary>
    public static async Task<PassJobOutcome> RunAsync(OnnxModel input, PassJobRequest request, IProgress<string>? progress,
        IProgress<string>? fineTuneProgress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(request);
        var (judge, whyNone) = GuardData(input, [.. request.JudgeCandidates]);
        if (judge is null && (request.Guard.Enforced || request.Guard.Metric is not null))
        {
            throw new InputException($"the quality budget needs data to judge on: {whyNone}");
        }
        var result = request.Pass.Apply(input, progress, cancellationToken);
        var output = result.Model;
        if (request.FineTuneData is { } data && request.FineTuner is { } tuner)
        {
            output = await tuner.FineTuneAsync(output, input, data, fineTuneProgress, cancellationToken).ConfigureAwait(false);
        }
        var quality = judge is null ? null : QualityCheck.Compare(input, output, judge, request.Guard, progress, cancellationToken);
        return new PassJobOutcome(output, result.Record, quality, whyNone);
    }

    /// <summary>
    /// The data the guard runs on: the first spec given, else random inputs shaped from the model. Null, with the
    /// reason, when there is none (a dynamic axis random inputs cannot size).
    /// </summary>
    public static (DataSpec? Data, string? WhyNone) GuardData(OnnxModel model, params DataSpec?[] given)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (given.OfType<DataSpec>().FirstOrDefault() is { } spec)
        {
            return (spec, null);
        }
        var synthetic = DataSpec.Parse(string.Create(CultureInfo.InvariantCulture, $"synthetic:{SyntheticRows}"));
        try
        {
            _ = synthetic.Open(ModelInputs.Of(model), 1).First();
            return (synthetic, null);
        }
        catch (DataException e)
        {
            return (null, e.Message);
        }
    }
}
