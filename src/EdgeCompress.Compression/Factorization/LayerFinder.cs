using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Factorization;

/// <summary>A node that can be factorized: where its constant weight is and which value carries its data.</summary>
internal sealed record Candidate(NodeProto Node, int WeightInput, string DataInput, SvdForm Form)
{
    public string Label => OnnxGraph.NodeLabel(Node);
}

/// <summary>
/// Finds Gemm, MatMul and Conv nodes with constant float weights and embedding tables (Gather by indices), and says why every other one of them is left
/// alone (not constant, grouped, batched, excluded...). Then analyses each candidate into a <see cref="LayerPlan"/>.
/// </summary>
internal static class LayerFinder
{
    /// <summary>Candidates in graph order; skipped nodes go to <paramref name="skipped"/> with the reason.</summary>
    public static List<Candidate> Find(OnnxGraph graph, FactorizeOptions options, long irVersion, List<(NodeProto Node, string Reason)> skipped)
    {
        var found = new List<Candidate>();
        foreach (var node in graph.Nodes)
        {
            if ((node.Domain ?? "").Length != 0 || node.OpType is not ("Gemm" or "MatMul" or "Conv" or "Gather")
                || (node.OpType == "Gather" && !IsEmbedding(graph, node, irVersion)))
            {
                continue;
            }
            var label = OnnxGraph.NodeLabel(node);
            if (options.Exclude.Contains(label) || options.Exclude.Contains(node.Name))
            {
                skipped.Add((node, "excluded"));
                continue;
            }
            var reason = Classify(graph, node, irVersion, out var candidate);
            if (candidate is not null)
            {
                found.Add(candidate);
            }
            else
            {
                skipped.Add((node, reason!));
            }
        }
        return found;
    }

    /// <summary>
    /// The constant behind a value. Before IR version 4 every initializer had to be listed as a graph input too, so
    /// there an initializer-input is a weight; from IR 4 on, listing it as an input makes it overridable.
    /// </summary>
    public static TensorProto? Weight(OnnxGraph graph, string name, long irVersion)
    {
        if (name.Length == 0)
        {
            return null;
        }
        var direct = graph.GetConstant(name) ?? (irVersion < 4 && graph.Initializers.TryGetValue(name, out var t) ? t : null);
        if (direct is not null)
        {
            return direct;
        }
        // PyTorch's exporter writes a second use of bit-identical parameters (cloned layers) as Identity(first).
        if (graph.Producer(name) is { OpType: "Identity" } identity && (identity.Domain ?? "").Length == 0)
        {
            return Weight(graph, identity.Input[0], irVersion);
        }
        // Exporters often write a Linear layer as Transpose(W) -> MatMul: fold the transpose of a constant 2-D weight.
        if (graph.Producer(name) is { OpType: "Transpose" } transpose && (transpose.Domain ?? "").Length == 0
            && Weight(graph, transpose.Input[0], irVersion) is { Dims.Count: 2 } source
            && TensorData.TypeOf(source) == TensorProto.Types.DataType.Float
            && (transpose.GetInts("perm") ?? [1, 0]).SequenceEqual([1L, 0L]))
        {
            var values = Svd.ToRowMajor(Svd.FromRowMajor(TensorData.ToFloats(source), (int)source.Dims[0], (int)source.Dims[1]).Transpose());
            return TensorData.FromFloats(name, [source.Dims[1], source.Dims[0]], values);
        }
        return null;
    }

    /// <summary>A Gather of rows from a constant float [V, D] table by run-time indices: an embedding.</summary>
    private static bool IsEmbedding(OnnxGraph graph, NodeProto node, long irVersion) =>
        node.GetInt("axis", 0) == 0 && node.Input.Count == 2 && Weight(graph, node.Input[1], irVersion) is null
        && Weight(graph, node.Input[0], irVersion) is { Dims.Count: 2 } table && TensorData.TypeOf(table) == TensorProto.Types.DataType.Float;

    private static string? Classify(OnnxGraph graph, NodeProto node, long irVersion, out Candidate? candidate)
    {
        candidate = null;
        // Weight() materializes a folded Transpose, so each operand is looked up once.
        var constants = node.OpType == "Gather" ? [] : node.Input.Take(2).Select(i => Weight(graph, i, irVersion)).ToArray();
        var weightIndex = node.OpType == "Gather" ? 0 : Array.FindIndex(constants, t => t is not null);
        if (weightIndex >= 0 && Readers(graph, node.Input[weightIndex]) is var (source, readers) && readers > 1)
        {
            // Factorizing one reader would keep the weight for the others: the model would grow, not shrink.
            return $"weight '{source}' is read by {readers} layers (tied weights, or identical layers the exporter merged), left as is";
        }
        if (node.OpType == "Gather")
        {
            // Rows of W = P Q are rows of P times Q: Gather(P) then MatMul by Q, smaller when r (V + D) < V D.
            candidate = new Candidate(node, 0, node.Input[1], SvdForm.Embedding);
            return null;
        }
        if (constants.Length < 2)
        {
            return "has fewer than two inputs";
        }
        if (constants[0] is null && constants[1] is null)
        {
            return "weights are not constant (computed or a graph input), left as is";
        }
        if (constants[0] is not null && constants[1] is not null)
        {
            return "both operands are constant (nothing runs per input), left as is";
        }
        var weightInput = constants[1] is not null ? 1 : 0;
        var weight = constants[weightInput]!;
        if (TensorData.TypeOf(weight) != TensorProto.Types.DataType.Float)
        {
            return $"weight '{weight.Name}' is {DataTypes.Name(TensorData.TypeOf(weight))}; only float32 weights are factorized";
        }
        var dataInput = node.Input[1 - weightInput];
        switch (node.OpType)
        {
            case "Gemm":
                candidate = new Candidate(node, weightInput, dataInput, weightInput == 1 ? SvdForm.GemmWeightB : SvdForm.GemmWeightA);
                return null;
            case "MatMul":
                if (weight.Dims.Count != 2)
                {
                    return $"weight '{weight.Name}' is {weight.Dims.Count}-D (batched or a vector); only 2-D MatMul weights are factorized";
                }
                candidate = new Candidate(node, weightInput, dataInput, weightInput == 1 ? SvdForm.MatMulRight : SvdForm.MatMulLeft);
                return null;
            default:
                if (weightInput != 1 || weight.Dims.Count < 3)
                {
                    return "Conv weight is not a constant [out, in, k...] tensor";
                }
                if (node.GetInt("group", 1) != 1)
                {
                    return $"grouped/depthwise conv (group {node.GetInt("group", 1)}) left alone";
                }
                candidate = new Candidate(node, 1, dataInput, SvdForm.Conv);
                return null;
        }
    }

    /// <summary>The constant behind a weight value (through Identity and Transpose) and how many nodes read it
    /// other than those Identity and Transpose nodes.</summary>
    private static (string Source, int Readers) Readers(OnnxGraph graph, string value)
    {
        var source = value;
        while (graph.Producer(source) is { OpType: "Identity" or "Transpose" } p && (p.Domain ?? "").Length == 0)
        {
            source = p.Input[0];
        }
        var readers = 0;
        var work = new Stack<string>([source]);
        while (work.Count > 0)
        {
            foreach (var n in graph.Consumers(work.Pop()))
            {
                if (n.OpType is "Identity" or "Transpose" && (n.Domain ?? "").Length == 0)
                {
                    work.Push(n.Output[0]);
                }
                else
                {
                    readers++;
                }
            }
        }
        return (source, readers);
    }

    /// <summary>Analyses a candidate (SVDs of its weight) into a plan for the chosen method.</summary>
    public static LayerPlan Analyse(OnnxGraph graph, Candidate c, FactorizeOptions options, long irVersion, NodeShapes? shapes,
        List<string> warnings, CancellationToken cancellationToken)
    {
        var node = c.Node;
        var weightName = node.Input[c.WeightInput];
        var weight = Weight(graph, weightName, irVersion)!;
        var dims = weight.Dims.ToArray();
        var values = TensorData.ToFloats(weight);
        if (c.Form != SvdForm.Conv)
        {
            var matrix = Svd.FromRowMajor(values, (int)dims[0], (int)dims[1]);
            if (node.OpType == "Gemm")
            {
                var transposed = node.GetInt(c.WeightInput == 1 ? "transB" : "transA", 0) != 0;
                matrix = (transposed ? matrix.Transpose() : matrix) * node.GetFloat("alpha", 1f);
            }
            return new SvdLayer(node, weightName, dims, c.Form, matrix, shapes);
        }
        var kernel = dims.Skip(2).ToArray();
        var pointwise = kernel.All(k => k == 1);
        if (pointwise || options.Method == FactorMethod.Svd)
        {
            var matrix = Svd.FromRowMajor(values, (int)dims[0], (int)(values.LongLength / dims[0]));
            return new SvdLayer(node, weightName, dims, SvdForm.Conv, matrix, shapes);
        }
        if (options.Method == FactorMethod.Cp)
        {
            if (kernel.Length != 2)
            {
                warnings.Add($"node '{c.Label}': CP needs a 2-D conv; using Tucker-2 for this {kernel.Length}-D conv");
            }
            else if (ConvAttributes.ExplicitPads2D(node, kernel, shapes?.Input) is { } pads)
            {
                return new CpLayer(node, weightName, dims, values, pads, shapes) { Cancellation = cancellationToken };
            }
            else
            {
                warnings.Add($"node '{c.Label}': auto_pad needs the input size, which could not be observed; using Tucker-2");
            }
        }
        return new TuckerLayer(node, weightName, dims, values, shapes);
    }
}
