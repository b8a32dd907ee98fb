using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Passes;

/// <summary>What one pass did to one layer (node), for the per-layer report.</summary>
/// <param name="Node">The node's label (name, or op->output).</param>
/// <param name="OpType">Its operator.</param>
/// <param name="Action">What happened, e.g. "quantized", "kept float: excluded", "pruned 16/32 channels", "rank 12".</param>
/// <param name="ParamsBefore">Parameters before the pass.</param>
/// <param name="ParamsAfter">Parameters after the pass.</param>
/// <param name="Metrics">Pass-specific figures (reconstruction error, sparsity, scale, ...).</param>
public sealed record LayerRecord(string Node, string OpType, string Action, long ParamsBefore, long ParamsAfter,
    IReadOnlyDictionary<string, double>? Metrics = null);

/// <summary>The record of one pass run: its settings, what it did per layer, and warnings for the user.</summary>
public sealed class PassRecord
{
    /// <summary>Creates a record for a pass name.</summary>
    public PassRecord(string pass) => Pass = pass;

    /// <summary>The pass, e.g. "quantize-static", "prune-channels", "factorize-svd".</summary>
    public string Pass { get; }

    /// <summary>The settings used, as text, for manifests and reports.</summary>
    public Dictionary<string, string> Settings { get; } = new(StringComparer.Ordinal);

    /// <summary>Per-layer outcomes in graph order.</summary>
    public List<LayerRecord> Layers { get; } = [];

    /// <summary>Things the user should know (skipped layers, unsupported operators), one line each.</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>Whole-model figures (e.g. "params_before", "params_after", "file_bytes").</summary>
    public Dictionary<string, double> Totals { get; } = new(StringComparer.Ordinal);
}

/// <summary>The output of a pass: a new model (the input is never modified) and what was done.</summary>
public sealed record PassResult(OnnxModel Model, PassRecord Record);

/// <summary>
/// One compression pass: input model + options (given to the constructor) -> a new model + a record. Passes never
/// modify their input model; they work on a clone. Recipes run passes in order.
/// </summary>
public interface ICompressionPass
{
    /// <summary>Stable name used in recipes and manifests.</summary>
    string Name { get; }

    /// <summary>Runs the pass. Throws <see cref="OnnxFormatException"/> or <see cref="InputException"/> with a
    /// one-line message naming the node for input it cannot handle.</summary>
    PassResult Apply(OnnxModel model, IProgress<string>? progress = null, CancellationToken cancellationToken = default);
}
