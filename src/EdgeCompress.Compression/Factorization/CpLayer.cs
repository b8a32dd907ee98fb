using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using MathNet.Numerics.LinearAlgebra;

namespace EdgeCompress.Compression.Factorization;

/// <summary>
/// Rank-R CP of a 2-D k x k convolution W [T, S, kh, kw] = sum_r A0[:,r] ∘ A1[:,r] ∘ A2[:,r] ∘ A3[:,r], run as a
/// 1x1 conv S -> R, a kh x 1 depthwise conv, a 1 x kw depthwise conv (the original strides, pads and dilations
/// split per axis) and a 1x1 conv R -> T with the bias. Costs R (S + kh + kw + T) weights.
/// </summary>
internal sealed class CpLayer : LayerPlan
{
    private readonly float[] _weight;
    private readonly int _t;
    private readonly int _s;
    private readonly int _kh;
    private readonly int _kw;
    private readonly long[] _pads;
    private readonly SvdFactors _mode0;
    private readonly SvdFactors _mode1;

    public CpLayer(NodeProto node, string weightName, long[] dims, float[] weight, long[] pads, NodeShapes? shapes)
        : base(node, weightName, weight.LongLength, shapes)
    {
        _weight = weight;
        _t = (int)dims[0];
        _s = (int)dims[1];
        _kh = (int)dims[2];
        _kw = (int)dims[3];
        _pads = pads;
        _mode0 = Svd.Thin(TensorOps.Unfold0(weight, _t, _s, _kh * _kw));
        _mode1 = Svd.Thin(TensorOps.Unfold1(weight, _t, _s, _kh * _kw));
    }

    /// <summary>Cancels long ALS runs.</summary>
    public CancellationToken Cancellation { get; init; }

    public override string Method => "cp";

    private int Width => _s + _kh + _kw + _t;

    // Beyond this rank the CP form has as many weights as the dense conv.
    public override int[] MaxRanks => [(int)Math.Max(1, (DenseParams - 1) / Width)];

    public override long Params(int[] ranks) => (long)ranks[0] * Width;

    // A proxy from the unfoldings (a CP of rank R has unfoldings of rank <= R); the fitted error is reported after.
    public override double PredictedError(int[] ranks) =>
        Math.Min(1, Spectrum.TailFraction(_mode1.S, Math.Min(ranks[0], _s)) + Spectrum.TailFraction(_mode0.S, Math.Min(ranks[0], _t)));

    public override int[] EnergyRanks(double energy) =>
        [Math.Max(Spectrum.RankForEnergy(_mode1.S, energy), Spectrum.RankForEnergy(_mode0.S, energy))];

    public override int[] AutoRanks() =>
        [Math.Max(Vbmf.EstimateRank(_mode1.S, _s, _t * _kh * _kw), Vbmf.EstimateRank(_mode0.S, _t, _s * _kh * _kw))];

    public override long? DenseMacs => Shapes is null ? null : Shapes.OutputElements * _s * _kh * _kw;

    public override long? Macs(int[] ranks)
    {
        if (Shapes is null)
        {
            return null;
        }
        long r = ranks[0];
        var positions = Shapes.OutputElements / _t;
        var widthIn = Shapes.Input[3];
        var widthOut = Shapes.Output[3];
        var vertical = positions / widthOut * widthIn * r * _kh;
        return (Shapes.InputElements * r) + vertical + (positions * r * _kw) + (Shapes.OutputElements * r);
    }

    public override RewriteResult Rewrite(OnnxGraph graph, int[] ranks, FactorizeOptions options, long opset)
    {
        var r = ranks[0];
        var fit = CpAls.Decompose(_weight, _t, _s, _kh, _kw, r, _mode0.U, _mode1.U, options.CpMaxIterations, options.CpTolerance, Cancellation);
        var (a0, a1, a2, a3) = (fit.Factors[0], fit.Factors[1], fit.Factors[2], fit.Factors[3]);
        var strides = Node.GetInts("strides") ?? [1, 1];
        var dilations = Node.GetInts("dilations") ?? [1, 1];

        var inName = AddWeight(graph, "cp_in", [r, _s, 1, 1], Svd.ToRowMajor(a1.Transpose()));
        var vName = AddWeight(graph, "cp_vertical", [r, 1, _kh, 1], Svd.ToRowMajor(a2.Transpose()));
        var hName = AddWeight(graph, "cp_horizontal", [r, 1, 1, _kw], Svd.ToRowMajor(a3.Transpose()));
        var outName = AddWeight(graph, "cp_out", [_t, r, 1, 1], Svd.ToRowMajor(a0));

        var first = NewNode(graph, "Conv", "cp_in", [Node.Input[0], inName]);
        first.SetInts("kernel_shape", [1, 1]);
        var vertical = NewNode(graph, "Conv", "cp_vertical", [first.Output[0], vName]);
        vertical.SetInts("kernel_shape", [_kh, 1]);
        vertical.SetInt("group", r);
        vertical.SetInts("strides", [strides[0], 1]);
        vertical.SetInts("pads", [_pads[0], 0, _pads[2], 0]);
        vertical.SetInts("dilations", [dilations[0], 1]);
        var horizontal = NewNode(graph, "Conv", "cp_horizontal", [vertical.Output[0], hName]);
        horizontal.SetInts("kernel_shape", [1, _kw]);
        horizontal.SetInt("group", r);
        horizontal.SetInts("strides", [1, strides[1]]);
        horizontal.SetInts("pads", [0, _pads[1], 0, _pads[3]]);
        horizontal.SetInts("dilations", [1, dilations[1]]);
        var hasBias = Node.Input.Count > 2 && Node.Input[2].Length > 0;
        var last = NewNode(graph, "Conv", "cp_out", hasBias ? [horizontal.Output[0], outName, Node.Input[2]] : [horizontal.Output[0], outName], Node.Output[0]);
        last.SetInts("kernel_shape", [1, 1]);
        Replace(graph, [first, vertical, horizontal, last]);
        var note = fit.Converged ? $"converged in {fit.Iterations} sweeps" : $"stopped at the {fit.Iterations}-sweep bound";
        return new RewriteResult(fit.RelativeError, 4, $"cp rank {r} ({note})");
    }
}
