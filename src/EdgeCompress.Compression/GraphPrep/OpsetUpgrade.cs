using EdgeCompress.Compression.Passes;
using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.GraphPrep;

/// <summary>
/// The <see cref="OpsetLift"/> of int8 (opset 13 where per-channel weights or int8 operators need it) as a pass. The
/// record says what happened in one line (<c>Settings["opset"]</c>) and, when lifted, <c>Totals["opset_lifted_from"]</c>.
/// </summary>
public sealed class OpsetUpgrade : ICompressionPass
{
    /// <inheritdoc />
    public string Name => "upgrade-opset";

    /// <inheritdoc />
    public PassResult Apply(OnnxModel model, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var output = new OnnxModel(model.Proto.Clone(), null);
        var record = new PassRecord(Name);
        Run(output, record, perChannel: true, onlyWhenNeeded: false);
        return new PassResult(output, record);
    }

    /// <summary>Lifts in place when every operator allows it and, with <paramref name="onlyWhenNeeded"/>, int8 needs it
    /// (per-channel weights when <paramref name="perChannel"/>); returns true when it did.</summary>
    /// <exception cref="OnnxFormatException">The model is below opset 10 and an operator cannot be lifted.</exception>
    internal static bool Run(OnnxModel model, PassRecord record, bool perChannel, bool onlyWhenNeeded = true)
    {
        var outcome = OpsetLift.Run(model, perChannel, onlyWhenNeeded);
        if (outcome.Outcome is { } line)
        {
            record.Settings["opset"] = line;
        }
        if (outcome.Lifted)
        {
            record.Totals["opset_lifted_from"] = outcome.FromOpset;
        }
        return outcome.Lifted;
    }
}
