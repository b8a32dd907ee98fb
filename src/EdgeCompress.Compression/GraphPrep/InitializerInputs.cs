using EdgeCompress.Compression.Passes;
using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.GraphPrep;

/// <summary>
/// Old exporters (IR version 3) list every initializer as a graph input too, which makes weights overridable at run
/// time, so no pass may treat them as constants. A compressed model fixes its weights anyway: this drops those
/// inputs and raises the IR version to 4, where initializers need not be inputs.
/// </summary>
public sealed class InitializerInputs : ICompressionPass
{
    /// <inheritdoc />
    public string Name => "pin-initializers";

    /// <inheritdoc />
    public PassResult Apply(OnnxModel model, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var output = new OnnxModel(model.Proto.Clone());
        var record = new PassRecord(Name);
        record.Totals["pinned"] = Run(output, record);
        return new PassResult(output, record);
    }

    /// <summary>Drops the initializer-backed graph inputs in place; returns how many went.</summary>
    internal static int Run(OnnxModel model, PassRecord record)
    {
        var graph = model.Graph;
        var initializers = graph.Proto.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var pinned = graph.RemoveGraphInputs(i => initializers.Contains(i.Name));
        if (pinned > 0)
        {
            model.Proto.IrVersion = Math.Max(model.Proto.IrVersion, 4);
            record.Warnings.Add($"{pinned} initializer(s) were also graph inputs (overridable); they are now fixed constants");
        }
        return pinned;
    }
}
