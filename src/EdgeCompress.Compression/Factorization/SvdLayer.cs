using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using MathNet.Numerics.LinearAlgebra;

namespace EdgeCompress.Compression.Factorization;

/// <summary>Where the constant matrix sits in the operator, which decides the order of the two factors.</summary>
internal enum SvdForm
{
    /// <summary>Gemm with constant B: Y = A' (P Q) + C.</summary>
    GemmWeightB,

    /// <summary>Gemm with constant A: Y = (P Q) B' + C.</summary>
    GemmWeightA,

    /// <summary>MatMul X @ W.</summary>
    MatMulRight,

    /// <summary>MatMul W @ X.</summary>
    MatMulLeft,

    /// <summary>Gather(W, indices) of an embedding table W [V, D]: Gather(P, indices) @ Q.</summary>
    Embedding,

    /// <summary>Conv: W [T, S, k...] as a T x (S k...) matrix: a conv to rank r with the original kernel, then a 1x1.</summary>
    Conv,
}

/// <summary>
/// Truncated SVD of one weight matrix W (m x n) = P Q with P = U_r sqrt(S_r), Q = sqrt(S_r) Vt_r; the layer becomes
/// two operators of inner width r, costing r (m + n) weights instead of m n.
/// </summary>
internal sealed class SvdLayer : LayerPlan
{
    private readonly SvdForm _form;
    private readonly long[] _weightDims;
    private readonly double[] _s;

    // Small matrices keep their exact thin SVD; large ones keep the matrix and only their spectrum, and get the
    // vectors for the one rank chosen when they are rewritten (the spectrum alone decides every rank).
    private readonly SvdFactors? _exact;
    private readonly Matrix<float>? _large;

    // matrix: the weight as the m x n matrix that is factorized (Gemm transposes and alpha applied).
    public SvdLayer(NodeProto node, string weightName, long[] weightDims, SvdForm form, Matrix<float> matrix, NodeShapes? shapes)
        : base(node, weightName, weightDims.Aggregate(1L, (a, b) => a * b), shapes)
    {
        _form = form;
        _weightDims = weightDims;
        if (Math.Min(matrix.RowCount, matrix.ColumnCount) >= Svd.LargeDimension)
        {
            _large = matrix;
            _s = Svd.Values(matrix);
        }
        else
        {
            _exact = Svd.Thin(matrix);
            _s = _exact.S;
        }
        Rows = matrix.RowCount;
        Cols = matrix.ColumnCount;
    }

    /// <summary>m.</summary>
    public int Rows { get; }

    /// <summary>n.</summary>
    public int Cols { get; }

    /// <summary>The singular values, decreasing.</summary>
    public IReadOnlyList<double> Singular => _s;

    public override string Method => "svd";

    public override int[] MaxRanks => [Math.Min(Rows, Cols)];

    public override long Params(int[] ranks) => (long)ranks[0] * (Rows + Cols);

    public override double PredictedError(int[] ranks) => Spectrum.TailFraction(_s, ranks[0]);

    public override int[] EnergyRanks(double energy) => [Spectrum.RankForEnergy(_s, energy)];

    public override int[] AutoRanks() => [Vbmf.EstimateRank(_s, Rows, Cols)];

    // The output's elements times the contracted width; for the factorized form, each output "line" (row for a
    // weight on the right, column for one on the left) costs r (m + n).
    // An embedding reads rows (no MACs); factorized, each gathered row of P is multiplied by Q (r D per row).
    public override long? DenseMacs => Shapes is null ? null : _form == SvdForm.Embedding ? 0 : Shapes.OutputElements * InnerWidth;

    public override long? Macs(int[] ranks) => Shapes is null ? null
        : _form == SvdForm.Embedding ? Shapes.OutputElements * ranks[0]
        : Shapes.OutputElements / OuterWidth * ranks[0] * (Rows + Cols);

    // For W (m x n): X @ W contracts m and produces n; W @ X contracts n and produces m; conv contracts n (S k...).
    private int InnerWidth => _form is SvdForm.GemmWeightB or SvdForm.MatMulRight ? Rows : Cols;

    private int OuterWidth => _form is SvdForm.GemmWeightB or SvdForm.MatMulRight ? Cols : Rows;

    public override RewriteResult Rewrite(OnnxGraph graph, int[] ranks, FactorizeOptions options, long opset)
    {
        var r = ranks[0];
        var factors = _exact ?? Svd.Leading(_large!, r);
        var (p, q) = Svd.Split(factors, r);
        var output = Node.Output[0];
        var nodes = new List<NodeProto>(2);
        switch (_form)
        {
            case SvdForm.GemmWeightB:
            {
                // Y = alpha A' W + beta C with W = P Q (alpha already in W): T = A' P, Y = T Q + beta C.
                var pn = AddWeight(graph, "svd_p", [Rows, r], Svd.ToRowMajor(p));
                var qn = AddWeight(graph, "svd_q", [r, Cols], Svd.ToRowMajor(q));
                var first = NewNode(graph, "Gemm", "svd1", [Node.Input[0], pn]);
                first.SetInt("transA", Node.GetInt("transA", 0));
                AddZeroBiasIfRequired(graph, first, r, opset);
                var second = NewNode(graph, "Gemm", "svd2", Node.Input.Count > 2 ? [first.Output[0], qn, Node.Input[2]] : [first.Output[0], qn], output);
                second.SetFloat("beta", Node.GetFloat("beta", 1f));
                AddZeroBiasIfRequired(graph, second, Cols, opset);
                nodes.Add(first);
                nodes.Add(second);
                break;
            }
            case SvdForm.GemmWeightA:
            {
                // Y = alpha W B' + beta C with W = P Q: T = Q B', Y = P T + beta C.
                var pn = AddWeight(graph, "svd_p", [Rows, r], Svd.ToRowMajor(p));
                var qn = AddWeight(graph, "svd_q", [r, Cols], Svd.ToRowMajor(q));
                var first = NewNode(graph, "Gemm", "svd1", [qn, Node.Input[1]]);
                first.SetInt("transB", Node.GetInt("transB", 0));
                AddZeroBiasIfRequired(graph, first, 1, opset);
                var second = NewNode(graph, "Gemm", "svd2", Node.Input.Count > 2 ? [pn, first.Output[0], Node.Input[2]] : [pn, first.Output[0]], output);
                second.SetFloat("beta", Node.GetFloat("beta", 1f));
                AddZeroBiasIfRequired(graph, second, 1, opset);
                nodes.Add(first);
                nodes.Add(second);
                break;
            }
            case SvdForm.MatMulRight:
            {
                var pn = AddWeight(graph, "svd_p", [Rows, r], Svd.ToRowMajor(p));
                var qn = AddWeight(graph, "svd_q", [r, Cols], Svd.ToRowMajor(q));
                var first = NewNode(graph, "MatMul", "svd1", [Node.Input[0], pn]);
                nodes.Add(first);
                nodes.Add(NewNode(graph, "MatMul", "svd2", [first.Output[0], qn], output));
                break;
            }
            case SvdForm.MatMulLeft:
            {
                var pn = AddWeight(graph, "svd_p", [Rows, r], Svd.ToRowMajor(p));
                var qn = AddWeight(graph, "svd_q", [r, Cols], Svd.ToRowMajor(q));
                var first = NewNode(graph, "MatMul", "svd1", [qn, Node.Input[1]]);
                nodes.Add(first);
                nodes.Add(NewNode(graph, "MatMul", "svd2", [pn, first.Output[0]], output));
                break;
            }
            case SvdForm.Embedding:
            {
                var pn = AddWeight(graph, "svd_p", [Rows, r], Svd.ToRowMajor(p));
                var qn = AddWeight(graph, "svd_q", [r, Cols], Svd.ToRowMajor(q));
                var first = NewNode(graph, "Gather", "svd1", [pn, Node.Input[1]]);
                first.SetInt("axis", 0);
                nodes.Add(first);
                nodes.Add(NewNode(graph, "MatMul", "svd2", [first.Output[0], qn], output));
                break;
            }
            case SvdForm.Conv:
            {
                // Q keeps the kernel and every spatial attribute (strides, pads, dilations, auto_pad); P is a 1x1
                // channel mix at the output resolution and carries the bias.
                var kernel = _weightDims.Skip(2).ToArray();
                var qn = AddWeight(graph, "svd_q", [r, _weightDims[1], .. kernel], Svd.ToRowMajor(q));
                var pn = AddWeight(graph, "svd_p", [Rows, r, .. kernel.Select(_ => 1L)], Svd.ToRowMajor(p));
                var first = NewNode(graph, "Conv", "svd1", [Node.Input[0], qn]);
                ConvAttributes.CopySpatial(Node, first, kernel);
                var second = NewNode(graph, "Conv", "svd2", Node.Input.Count > 2 && Node.Input[2].Length > 0 ? [first.Output[0], pn, Node.Input[2]] : [first.Output[0], pn], output);
                second.SetInts("kernel_shape", kernel.Select(_ => 1L));
                nodes.Add(first);
                nodes.Add(second);
                break;
            }
        }
        Replace(graph, nodes);
        // The kept part is an orthogonal projection of W (exact or randomized), so the squared error is the
        // total energy minus the kept singular values' energy.
        var total = Spectrum.Total(_s);
        var kept = factors.S.Take(r).Sum(v => v * v);
        var error = total > 0 ? Math.Sqrt(Math.Max(0, total - kept) / total) : 0;
        return new RewriteResult(error, nodes.Count, $"svd rank {r}");
    }

    // Gemm's C became optional in opset 11; older models need an explicit zero bias.
    private void AddZeroBiasIfRequired(OnnxGraph graph, NodeProto gemm, int width, long opset)
    {
        if (opset < 11 && gemm.Input.Count < 3)
        {
            gemm.Input.Add(AddWeight(graph, "zero_bias", [width], new float[width]));
        }
    }
}
