using EdgeCompress.Onnx.Protos;
using TorchSharp;
using static TorchSharp.torch;
using EdgeCompress.Calibration;

namespace EdgeCompress.Training.Worker.Graph;

/// <summary>
/// Fake quantisation for QAT on a BN-folded GraphModule: Conv/Gemm weights per output channel (or one scale per
/// tensor, for runtimes and accelerators that only take that), symmetric int8 (zero point 0, range -127..127); chosen activations per tensor, asymmetric uint8 (or symmetric int8) with ranges
/// from an exponential moving average of observed min/max. Gradients pass straight through inside the range.
/// Which activations: the graph input and every node output except the graph output and values whose only reader
/// is a Relu/Clip (quantised after the activation instead, as runtimes fuse Conv+Relu).
/// </summary>
internal sealed class FakeQuant
{
    private readonly Dictionary<string, (float Min, float Max)> _ranges = new(StringComparer.Ordinal);
    private readonly HashSet<string> _weights;
    private readonly HashSet<string> _activations;
    private readonly bool _signed;

    public FakeQuant(ModelProto model, bool signedActivations, bool perChannelWeights = true, bool reduceRange = false)
    {
        _signed = signedActivations;
        PerChannelWeights = perChannelWeights;
        WeightMax = reduceRange ? 63 : 127;
        var g = model.Graph;
        _weights = g.Node.Where(n => n.OpType is "Conv" or "Gemm").Select(n => n.Input[1]).ToHashSet(StringComparer.Ordinal);
        var readers = g.Node.SelectMany(n => n.Input.Select(i => (i, n))).ToLookup(x => x.i, x => x.n, StringComparer.Ordinal);
        var outputs = g.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        _activations = g.Node.SelectMany(n => n.Output)
            .Where(o => !outputs.Contains(o) && !(readers[o].Any() && readers[o].All(r => r.OpType is "Relu" or "Clip")))
            .ToHashSet(StringComparer.Ordinal);
        var inits = g.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var input in g.Input.Where(i => !inits.Contains(i.Name)))
        {
            _activations.Add(input.Name);
        }
    }

    /// <summary>When false, ranges are observed but values pass unchanged (calibration).</summary>
    public bool Enabled { get; set; }

    /// <summary>Observe ranges (training and calibration) or freeze them (evaluation).</summary>
    public bool Observing { get; set; } = true;

    public IReadOnlySet<string> Activations => _activations;

    /// <summary>One scale per output channel (true) or one for the whole weight tensor.</summary>
    public bool PerChannelWeights { get; }

    /// <summary>Weights take -WeightMax..WeightMax: 127, or 63 with reduce-range (7-bit weights).</summary>
    public int WeightMax { get; }

    public IReadOnlyDictionary<string, (float Min, float Max)> Ranges => _ranges;

    /// <summary>
    /// While set, observing fills one histogram per activation instead of the moving average (calibration by
    /// histogram, as `edgec quantize` does); <see cref="UseHistograms"/> turns them into ranges.
    /// </summary>
    public Dictionary<string, TensorHistogram>? Histograms { get; set; }

    /// <summary>Sets every observed activation's range from its histogram by <paramref name="method"/>, then drops the histograms.</summary>
    public void UseHistograms(CalibrationMethod method, double percentile)
    {
        foreach (var (name, h) in Histograms ?? [])
        {
            var r = h.RangeFor(method, percentile);
            // Zero stays representable, as in the moving-average ranges and in `edgec quantize`.
            _ranges[name] = (Math.Min(0f, r.Min), Math.Max(0f, r.Max));
        }
        Histograms = null;
    }

    public void Attach(GraphModule module)
    {
        module.WeightHook = Weight;
        module.ActivationHook = Activation;
    }

    private Tensor Weight(string name, Tensor w)
    {
        if (!Enabled || !_weights.Contains(name))
        {
            return w;
        }
        var scale = WeightScales(w, PerChannelWeights, WeightMax).reshape([w.shape[0], .. Enumerable.Repeat(1L, (int)w.dim() - 1)]);
        return Ste(w, scale, 0, -WeightMax, WeightMax);
    }

    /// <summary>
    /// One scale per output channel, max|w|/weightMax (detached: the range follows the weights, not the loss); per tensor,
    /// every channel gets the whole tensor's scale, so both cases share one shape.
    /// </summary>
    public static Tensor WeightScales(Tensor w, bool perChannel, int weightMax)
    {
        using var floor = 1e-8.ToScalar();
        var perRow = w.detach().abs().reshape(w.shape[0], -1).amax([1]).clamp_min(floor).Over(weightMax);
        return perChannel ? perRow : perRow.max().expand(w.shape[0]).contiguous();
    }

    private Tensor Activation(string name, Tensor x)
    {
        if (!_activations.Contains(name))
        {
            return x;
        }
        if (Observing && Histograms is { } histograms)
        {
            using var d = x.detach().contiguous();
            if (!histograms.TryGetValue(name, out var h))
            {
                histograms[name] = h = new TensorHistogram();
            }
            h.Add(d.data<float>().ToArray());
        }
        else if (Observing)
        {
            using var d = x.detach();
            var lo = Math.Min(0f, d.min().item<float>());
            var hi = Math.Max(0f, d.max().item<float>());
            _ranges[name] = _ranges.TryGetValue(name, out var r) ? (0.9f * r.Min + 0.1f * lo, 0.9f * r.Max + 0.1f * hi) : (lo, hi);
        }
        if (!Enabled || !_ranges.TryGetValue(name, out var range))
        {
            return x;
        }
        var (scale, zeroPoint, qmin, qmax) = Params(range);
        return Ste(x, scale, zeroPoint, qmin, qmax);
    }

    /// <summary>
    /// Quantise-dequantise with a straight-through gradient (libtorch's fake_quantize ops are not bound in
    /// TorchSharp): the forward value is on the integer grid; the gradient is the identity inside the representable
    /// range and zero outside it (clamp's own gradient).
    /// </summary>
    /// <remarks>
    /// The temporaries live in their own dispose scope and go as soon as the result exists: an evaluation batch of
    /// 1000 images through a MobileNet otherwise keeps six full-size copies of every activation until the batch
    /// ends (12 GB measured). Autograd holds its own references to what backward needs.
    /// </remarks>
    private static Tensor Ste(Tensor x, Tensor scale, long zeroPoint, long qmin, long qmax)
    {
        using var scope = NewDisposeScope();
        var lo = scale.Times(qmin - zeroPoint);
        var hi = scale.Times(qmax - zeroPoint);
        var clipped = minimum(maximum(x, lo), hi);
        return clipped.Plus(Rounding(clipped, scale, zeroPoint, qmin, qmax)).MoveToOuterDisposeScope();
    }

    private static Tensor Ste(Tensor x, float scale, long zeroPoint, long qmin, long qmax)
    {
        using var scope = NewDisposeScope();
        var clipped = x.Clamped(scale * (qmin - zeroPoint), scale * (qmax - zeroPoint));
        using var s = scale.ToScalar();
        return clipped.Plus(Rounding(clipped, s, zeroPoint, qmin, qmax)).MoveToOuterDisposeScope();
    }

    /// <summary>The constant (no-gradient) step from a clipped value to its nearest point on the integer grid.</summary>
    private static Tensor Rounding(Tensor clipped, Tensor scale, long zeroPoint, long qmin, long qmax)
    {
        using var _ = no_grad();
        return OntoGrid(clipped.div(scale), zeroPoint, qmin, qmax).mul_(scale).sub_(clipped);
    }

    private static Tensor Rounding(Tensor clipped, Scalar scale, long zeroPoint, long qmin, long qmax)
    {
        using var _ = no_grad();
        return OntoGrid(clipped.div(scale), zeroPoint, qmin, qmax).mul_(scale).sub_(clipped);
    }

    /// <summary>Rounds scaled values in place to integers within the quantised range (less the zero point).</summary>
    private static Tensor OntoGrid(Tensor scaled, long zeroPoint, long qmin, long qmax)
    {
        using var lo = (qmin - zeroPoint).ToScalar();
        using var hi = (qmax - zeroPoint).ToScalar();
        return scaled.round_().clamp_(lo, hi);
    }

    /// <summary>Scale, zero point and integer range for an observed float range.</summary>
    public (float Scale, int ZeroPoint, long QMin, long QMax) Params((float Min, float Max) range)
    {
        if (_signed)
        {
            var m = Math.Max(Math.Abs(range.Min), Math.Abs(range.Max));
            return (Math.Max(m, 1e-8f) / 127f, 0, -128, 127);
        }
        var scale = Math.Max(range.Max - range.Min, 1e-8f) / 255f;
        var zp = (int)Math.Clamp(Math.Round(-range.Min / scale), 0, 255);
        return (scale, zp, 0, 255);
    }
}
