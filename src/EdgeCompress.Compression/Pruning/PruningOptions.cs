using System.Globalization;
using EdgeCompress.Data;
using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Pruning;

/// <summary>How channel importance is judged.</summary>
public enum ChannelImportanceKind
{
    /// <summary>L1 norm of each output channel's weights (summed over the layers tied together).</summary>
    L1,

    /// <summary>L2 norm of each output channel's weights.</summary>
    L2,

    /// <summary>|gamma| of the BatchNormalization that follows (network slimming); L1 where no BN follows.</summary>
    BnScale,

    /// <summary>First-order Taylor estimate of the loss change when a channel is removed, on calibration data.</summary>
    Taylor,
}

/// <summary>Continues training a pruned model from the unpruned one (distillation); provided by the training
/// project. The pruning pass only calls it.</summary>
public interface IPruneFineTuner
{
    /// <summary>Returns the fine-tuned student; never modifies <paramref name="teacher"/>.</summary>
    Task<OnnxModel> FineTuneAsync(OnnxModel student, OnnxModel teacher, DataSpec data, IProgress<string>? progress, CancellationToken cancellationToken);
}

/// <summary>Options of structured channel pruning.</summary>
public sealed class ChannelPruningOptions
{
    /// <summary>Fraction of the channels of each prunable group to remove, in (0, 1).</summary>
    public double Ratio { get; init; } = 0.3;

    /// <summary>How channels are ranked.</summary>
    public ChannelImportanceKind Importance { get; init; } = ChannelImportanceKind.L1;

    /// <summary>True: rank all channels together (layers end up with different ratios); false: the same ratio in
    /// every layer.</summary>
    public bool Global { get; init; }

    /// <summary>Kept channel counts are multiples of this (1: any count).</summary>
    public int RoundTo { get; init; } = 1;

    /// <summary>Layers (node names) whose output channels are kept.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>When not empty, only these layers are pruned, and one that cannot be is an error.</summary>
    public IReadOnlyList<string> Only { get; init; } = [];

    /// <summary>
    /// Ratios for named layers (node name -> fraction removed) in place of <see cref="Ratio"/>; uniform ranking only.
    /// </summary>
    public IReadOnlyDictionary<string, double> LayerRatios { get; init; } = new Dictionary<string, double>();

    /// <summary>
    /// Ratio for the layers whose outputs have the model's smallest spatial size (the last stage before the
    /// classifier), in place of <see cref="Ratio"/>: channels there cost the fewest MACs each (a 7x7 map is a quarter
    /// of a 14x14 one) and feed the classifier directly, so keeping more of them buys accuracy cheaply. Null: Ratio.
    /// </summary>
    public double? TailRatio { get; init; }

    /// <summary>Data for Taylor importance (labelled data gives a true loss; otherwise the model's own predictions).</summary>
    public DataSpec? Calibration { get; init; }

    /// <summary>Rows of calibration data used for Taylor importance.</summary>
    public int CalibrationRows { get; init; } = 64;

    /// <summary>Data for re-estimating BatchNormalization statistics after pruning; null skips it.</summary>
    public DataSpec? RecalibrateBatchNorm { get; init; }

    /// <summary>Rows used for BN recalibration.</summary>
    public int RecalibrationRows { get; init; } = 512;

    /// <summary>Checks the options; throws <see cref="InputException"/> naming the option at fault.</summary>
    public void Validate()
    {
        if (!(Ratio > 0 && Ratio < 1))
        {
            throw new InputException($"--channels must be a fraction in (0, 1), got {Ratio}");
        }
        if (RoundTo < 1)
        {
            throw new InputException($"--round-to must be a positive channel count, got {RoundTo}");
        }
        if (TailRatio is { } tail && !(tail >= 0 && tail < 1))
        {
            throw new InputException($"--tail-ratio must be a fraction in [0, 1), got {tail.ToString(CultureInfo.InvariantCulture)}");
        }
        foreach (var (layer, r) in LayerRatios)
        {
            if (!(r >= 0 && r < 1))
            {
                throw new InputException($"--layer-ratio {layer}={r.ToString(CultureInfo.InvariantCulture)}: the ratio must be a fraction in [0, 1)");
            }
        }
        if (Global && (TailRatio is not null || LayerRatios.Count > 0))
        {
            throw new InputException("--tail-ratio and --layer-ratio set ratios per layer, which --global ranking decides itself; drop one");
        }
        if (Importance == ChannelImportanceKind.Taylor && Calibration is null)
        {
            throw new InputException("--importance taylor needs --calibration SPEC (data to estimate the loss change on)");
        }
    }
}

/// <summary>Options of unstructured magnitude pruning.</summary>
public sealed class UnstructuredPruningOptions
{
    /// <summary>Fraction of the eligible weights set to zero, in (0, 1).</summary>
    public double Sparsity { get; init; } = 0.5;

    /// <summary>True: each layer reaches the sparsity on its own; false: one magnitude threshold for all layers.</summary>
    public bool PerLayer { get; init; }

    /// <summary>Also prune the first and last weighted layers (sensitive; skipped by default).</summary>
    public bool IncludeFirstAndLast { get; init; }

    /// <summary>Layers (node names) left dense.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>Checks the options; throws <see cref="InputException"/> naming the option at fault.</summary>
    public void Validate()
    {
        if (!(Sparsity > 0 && Sparsity < 1))
        {
            throw new InputException($"--sparsity must be a fraction in (0, 1), got {Sparsity}");
        }
    }
}
