using EdgeCompress.Compression.Passes;
using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.GraphPrep;

/// <summary>
/// The graph clean-up every quantization run starts with: make initializers listed as graph inputs constant, drop Identity/Dropout, fold constants, fold
/// BatchNormalization into the Conv/Gemm before it. The result computes the same function (within float rounding)
/// and has the node structure ONNX Runtime's int8 fusions look for.
/// </summary>
public sealed class GraphPreparation : ICompressionPass
{
    /// <inheritdoc />
    public string Name => "prepare-graph";

    /// <inheritdoc />
    public PassResult Apply(OnnxModel model, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var output = new OnnxModel(model.Proto.Clone());
        var record = new PassRecord(Name);
        var graph = output.Graph;
        var pinned = InitializerInputs.Run(output, record);
        var identities = IdentityRemoval.Run(graph, record);
        cancellationToken.ThrowIfCancellationRequested();
        var constants = ConstantFolding.Run(output, record);
        cancellationToken.ThrowIfCancellationRequested();
        // Folding constants may expose a BN whose parameters came from Constant nodes: fold BN after it.
        var bns = BatchNormFolding.Run(graph, record);
        record.Totals["identities_removed"] = identities;
        record.Totals["initializer_inputs_pinned"] = pinned;
        record.Totals["constants_folded"] = constants;
        record.Totals["batchnorms_folded"] = bns;
        progress?.Report($"graph prepared: {bns} BatchNormalization folded, {constants} constants folded, {identities} Identity/Dropout removed");
        return new PassResult(output, record);
    }
}
