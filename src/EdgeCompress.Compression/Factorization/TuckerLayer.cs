using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using MathNet.Numerics.LinearAlgebra;

namespace EdgeCompress.Compression.Factorization;

/// <summary>
/// Tucker-2 of a k x k convolution W [T, S, k...]: W ≈ G ×0 U_out ×1 U_in, giving a 1x1 conv S -> R1 (U_in^T),
/// the k x k core conv R1 -> R2 with every spatial attribute of the original, and a 1x1 conv R2 -> T (U_out) with
/// the bias. Factors start from the HOSVD (leading singular vectors of the mode unfoldings) and are refined by HOOI.
/// Ranks are (R1 input, R2 output).
/// </summary>
internal sealed class TuckerLayer : LayerPlan
{
    private readonly float[] _weight;
    private readonly long[] _dims;
    private readonly int _t;
    private readonly int _s;
    private readonly int _p;
    private readonly SvdFactors _mode0;
    private readonly SvdFactors _mode1;

    public TuckerLayer(NodeProto node, string weightName, long[] dims, float[] weight, NodeShapes? shapes)
        : base(node, weightName, weight.LongLength, shapes)
    {
        _weight = weight;
        _dims = dims;
        _t = (int)dims[0];
        _s = (int)dims[1];
        _p = (int)dims.Skip(2).Aggregate(1L, (a, b) => a * b);
        _mode0 = Svd.Thin(TensorOps.Unfold0(weight, _t, _s, _p));
        _mode1 = Svd.Thin(TensorOps.Unfold1(weight, _t, _s, _p));
    }

    public override string Method => "tucker2";

    // A mode rank above the other mode's rank times the kernel size adds nothing (the core cannot use it).
    public override int[] MaxRanks => [_s, _t];

    public override long Params(int[] ranks) => ((long)_s * ranks[0]) + ((long)ranks[0] * ranks[1] * _p) + ((long)ranks[1] * _t);

    // HOSVD bound: the squared error is at most the discarded energy of both unfoldings.
    public override double PredictedError(int[] ranks) =>
        Math.Min(1, Spectrum.TailFraction(_mode1.S, ranks[0]) + Spectrum.TailFraction(_mode0.S, ranks[1]));

    public override int[] EnergyRanks(double energy) =>
        [Spectrum.RankForEnergy(_mode1.S, energy), Spectrum.RankForEnergy(_mode0.S, energy)];

    public override int[] AutoRanks() =>
        [Vbmf.EstimateRank(_mode1.S, _s, _t * _p), Vbmf.EstimateRank(_mode0.S, _t, _s * _p)];

    public override long? DenseMacs => Shapes is null ? null : Shapes.OutputElements * _s * _p;

    public override long? Macs(int[] ranks) => Shapes is null
        ? null
        : (Shapes.InputElements * ranks[0]) + (Shapes.OutputElements / _t * ranks[0] * ranks[1] * _p) + (Shapes.OutputElements * ranks[1]);

    public override RewriteResult Rewrite(OnnxGraph graph, int[] ranks, FactorizeOptions options, long opset)
    {
        var uIn = _mode1.U.SubMatrix(0, _s, 0, Math.Min(ranks[0], _mode1.U.ColumnCount));
        var uOut = _mode0.U.SubMatrix(0, _t, 0, Math.Min(ranks[1], _mode0.U.ColumnCount));
        for (var i = 0; i < options.HooiIterations; i++)
        {
            (uIn, uOut) = HooiSweep(uIn, uOut);
        }
        var r1 = uIn.ColumnCount;
        var r2 = uOut.ColumnCount;
        var core = TensorOps.Mode1(TensorOps.Mode0(_weight, _t, _s, _p, uOut.Transpose()), r2, _s, _p, uIn.Transpose());
        var total = TensorOps.Energy(_weight);
        // Orthonormal factors: the residual energy is what the core does not hold.
        var error = total > 0 ? Math.Sqrt(Math.Max(0, total - TensorOps.Energy(core)) / total) : 0;

        var kernel = _dims.Skip(2).ToArray();
        var ones = kernel.Select(_ => 1L).ToArray();
        var inName = AddWeight(graph, "tucker_in", [r1, _s, .. ones], Svd.ToRowMajor(uIn.Transpose()));
        var coreName = AddWeight(graph, "tucker_core", [r2, r1, .. kernel], core);
        var outName = AddWeight(graph, "tucker_out", [_t, r2, .. ones], Svd.ToRowMajor(uOut));
        var first = NewNode(graph, "Conv", "tucker_in", [Node.Input[0], inName]);
        first.SetInts("kernel_shape", ones);
        var middle = NewNode(graph, "Conv", "tucker_core", [first.Output[0], coreName]);
        ConvAttributes.CopySpatial(Node, middle, kernel);
        var hasBias = Node.Input.Count > 2 && Node.Input[2].Length > 0;
        var last = NewNode(graph, "Conv", "tucker_out", hasBias ? [middle.Output[0], outName, Node.Input[2]] : [middle.Output[0], outName], Node.Output[0]);
        last.SetInts("kernel_shape", ones);
        Replace(graph, [first, middle, last]);
        return new RewriteResult(error, 3, $"tucker2 ranks {r1},{r2}");
    }

    // One HOOI sweep: each factor becomes the leading subspace of the weight projected on the other factor.
    private (Matrix<float> UIn, Matrix<float> UOut) HooiSweep(Matrix<float> uIn, Matrix<float> uOut)
    {
        var r1 = uIn.ColumnCount;
        var r2 = uOut.ColumnCount;
        var projectedIn = TensorOps.Mode1(_weight, _t, _s, _p, uIn.Transpose());
        var newOut = TensorOps.LeadingLeft(TensorOps.Unfold0(projectedIn, _t, r1, _p), r2);
        var projectedOut = TensorOps.Mode0(_weight, _t, _s, _p, newOut.Transpose());
        var newIn = TensorOps.LeadingLeft(TensorOps.Unfold1(projectedOut, newOut.ColumnCount, _s, _p), r1);
        return (newIn, newOut);
    }
}
