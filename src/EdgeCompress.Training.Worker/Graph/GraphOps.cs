using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace EdgeCompress.Training.Worker.Graph;

/// <summary>The ONNX operators GraphModule runs, each mapped onto TorchSharp so autograd flows through it.</summary>
internal sealed partial class GraphModule
{
    /// <summary>The operator set training can import: CNN and MLP layers, activations, shape glue.</summary>
    public static readonly HashSet<string> SupportedOps = new(StringComparer.Ordinal)
    {
        "Conv", "BatchNormalization", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu", "PRelu",
        "Clip", "Sigmoid", "Tanh", "Elu", "Selu", "Softplus", "Softsign", "HardSigmoid", "HardSwish", "Softmax",
        "LogSoftmax", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Flatten", "Reshape",
        "Identity", "Dropout", "Constant", "Pad", "Concat", "Transpose", "Squeeze", "Unsqueeze", "Shape", "Gather",
        "Exp", "Neg", "Abs", "Split", "Cast", "Slice",
    };

    private Tensor[] Execute(NodeProto n, Tensor?[] x)
    {
        Tensor X(int i) => x[i] ?? throw new TrainingInputException($"node '{n.Name}' ({n.OpType}) lacks input {i}");
        return n.OpType switch
        {
            "Conv" => [Conv(n, X(0), X(1), x.Length > 2 ? x[2] : null)],
            "BatchNormalization" => [F.batch_norm(X(0), X(3), X(4), X(1), X(2), training, 1 - n.GetFloat("momentum", 0.9f), n.GetFloat("epsilon", 1e-5f))],
            "Gemm" => [Gemm(n, X(0), X(1), x.Length > 2 ? x[2] : null)],
            "MatMul" => [matmul(X(0), X(1))],
            "Add" => [X(0).Plus(X(1))],
            "Sub" => [X(0) - X(1)],
            "Mul" => [X(0) * X(1)],
            "Div" => [X(0) / X(1)],
            "Relu" => [F.relu(X(0))],
            "LeakyRelu" => [LeakyRelu(X(0), n.GetFloat("alpha", 0.01f))],
            "PRelu" => [PRelu(X(0), X(1))],
            "Clip" => [Clip(n, X(0), x)],
            "Sigmoid" => [sigmoid(X(0))],
            "Tanh" => [tanh(X(0))],
            "Elu" => [Elu(X(0), n.GetFloat("alpha", 1f))],
            "Selu" => [Selu(n, X(0))],
            "Softplus" => [Softplus(X(0))],
            "Softsign" => [X(0).div(X(0).abs().Plus(1))],
            "HardSigmoid" => [X(0).Times(n.GetFloat("alpha", 0.2f)).Plus(n.GetFloat("beta", 0.5f)).Clamped(0, 1)],
            "HardSwish" => [F.hardswish(X(0))],
            "Softmax" => [F.softmax(X(0), Axis(n, X(0), -1))],
            "LogSoftmax" => [F.log_softmax(X(0), Axis(n, X(0), -1))],
            "MaxPool" or "AveragePool" => [Pool(n, X(0))],
            "GlobalAveragePool" => [X(0).mean(Enumerable.Range(2, (int)X(0).dim() - 2).Select(i => (long)i).ToArray(), keepdim: true)],
            "GlobalMaxPool" => [X(0).flatten(2).amax([2], keepdim: true).reshape([.. X(0).shape[..2], .. Enumerable.Repeat(1L, (int)X(0).dim() - 2)])],
            "Flatten" => [Flatten(n, X(0))],
            "Reshape" => [Reshape(X(0), Ints(X(1)))],
            "Identity" => [X(0)],
            "Dropout" => [F.dropout(X(0), n.GetFloat("ratio", 0.5f), training)],
            "Constant" => [ConstantValue(n)],
            "Pad" => [Pad(n, X(0), x)],
            "Concat" => [cat(x.Where(t => t is not null).Select(t => t!).ToList(), Axis(n, X(0), 0))],
            "Transpose" => [X(0).permute(n.GetInts("perm") ?? Enumerable.Range(0, (int)X(0).dim()).Reverse().Select(i => (long)i).ToArray())],
            "Squeeze" => [Squeeze(n, X(0), x)],
            "Unsqueeze" => [Unsqueeze(n, X(0), x)],
            "Shape" => [tensor(X(0).shape, ScalarType.Int64)],
            "Gather" => [Gather(n, X(0), X(1))],
            "Exp" => [exp(X(0))],
            "Neg" => [neg(X(0))],
            "Abs" => [abs(X(0))],
            "Split" => Split(n, X(0), x),
            "Cast" => [Cast(n, X(0))],
            "Slice" => [Slice(n, X(0), x)],
            _ => throw new TrainingInputException($"node '{n.Name}' uses unsupported operator {n.OpType}"),
        };
    }

    private static long Axis(NodeProto n, Tensor x, long fallback)
    {
        var a = n.GetInt("axis", fallback);
        return a < 0 ? a + x.dim() : a;
    }

    private static long[] Ints(Tensor t) => t.dtype == ScalarType.Int64 ? t.data<long>().ToArray() : t.to_type(ScalarType.Int64).data<long>().ToArray();

    private static long[] Fill(long[]? given, int count, long value) => given ?? Enumerable.Repeat(value, count).ToArray();

    /// <summary>ONNX pads are [begin..., end...]; symmetric pads map to the op's padding, others to an explicit pad.</summary>
    private static (Tensor X, long[] Symmetric) SplitPads(Tensor x, long[] pads, int spatial, double fill)
    {
        var begin = pads[..spatial];
        var end = pads[spatial..];
        if (begin.SequenceEqual(end))
        {
            return (x, begin);
        }
        // torch's pad lists the last dimension first: (left, right, top, bottom, ...).
        var torchPads = new long[2 * spatial];
        for (var i = 0; i < spatial; i++)
        {
            torchPads[2 * i] = begin[spatial - 1 - i];
            torchPads[2 * i + 1] = end[spatial - 1 - i];
        }
        return (F.pad(x, torchPads, PaddingModes.Constant, fill), new long[spatial]);
    }

    private static long[] AutoPads(NodeProto n, Tensor x, long[] kernel, long[] strides, long[] dilations)
    {
        var spatial = kernel.Length;
        var mode = n.GetString("auto_pad", "NOTSET");
        if (mode is "NOTSET")
        {
            return Fill(n.GetInts("pads"), 2 * spatial, 0);
        }
        var pads = new long[2 * spatial];
        if (mode is "VALID")
        {
            return pads;
        }
        for (var i = 0; i < spatial; i++)
        {
            var size = x.shape[2 + i];
            var outSize = (size + strides[i] - 1) / strides[i];
            var total = Math.Max(0, (outSize - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - size);
            var small = total / 2;
            pads[i] = mode == "SAME_LOWER" ? total - small : small;
            pads[spatial + i] = total - pads[i];
        }
        return pads;
    }

    private static Tensor Conv(NodeProto n, Tensor x, Tensor w, Tensor? b)
    {
        var spatial = (int)w.dim() - 2;
        var kernel = w.shape[2..];
        var strides = Fill(n.GetInts("strides"), spatial, 1);
        var dilations = Fill(n.GetInts("dilations"), spatial, 1);
        var groups = n.GetInt("group", 1);
        var (input, pads) = SplitPads(x, AutoPads(n, x, kernel, strides, dilations), spatial, 0);
        return spatial switch
        {
            1 => F.conv1d(input, w, b, strides[0], pads[0], dilations[0], groups),
            2 => F.conv2d(input, w, b, strides, pads, dilations, groups),
            3 => F.conv3d(input, w, b, strides, pads, dilations, groups),
            _ => throw new TrainingInputException($"node '{n.Name}': Conv over {spatial} spatial dimensions is not supported"),
        };
    }

    private static Tensor Gemm(NodeProto n, Tensor a, Tensor b, Tensor? c)
    {
        if (n.GetInt("transA", 0) != 0)
        {
            a = a.t();
        }
        if (n.GetInt("transB", 0) != 0)
        {
            b = b.t();
        }
        var y = matmul(a, b);
        var alpha = n.GetFloat("alpha", 1f);
        if (alpha != 1f)
        {
            y = y.Times(alpha);
        }
        if (c is not null)
        {
            var beta = n.GetFloat("beta", 1f);
            y = y.Plus(beta == 1f ? c : c.Times(beta));
        }
        return y;
    }

    private static Tensor PRelu(Tensor x, Tensor slope)
    {
        // Opset 7+ broadcasts the slope numpy-style (pytorch writes [C,1,1] for NCHW); older exports give a plain
        // [C] meaning one slope per channel (dimension 1).
        if (slope.dim() == 1 && x.dim() > 2 && slope.shape[0] == x.shape[1] && slope.shape[0] != x.shape[^1])
        {
            slope = slope.reshape([slope.shape[0], .. Enumerable.Repeat(1L, (int)x.dim() - 2)]);
        }
        return where(x.Below(0), x * slope, x);
    }

    private static Tensor[] Split(NodeProto n, Tensor x, Tensor?[] ins)
    {
        var axis = Axis(n, x, 0);
        var sizes = ins.Length > 1 && ins[1] is { } s ? Ints(s) : n.GetInts("split");
        if (sizes is null)
        {
            var parts = n.Output.Count;
            sizes = Enumerable.Repeat(x.shape[axis] / parts, parts).ToArray();
        }
        return x.split(sizes, axis);
    }

    /// <summary>Cast to the ONNX element type in 'to' (float, double, int32, int64, bool: the shape glue exporters emit).</summary>
    private static Tensor Cast(NodeProto n, Tensor x)
    {
        var to = n.GetInt("to", 1);
        var type = to switch
        {
            1 => ScalarType.Float32,
            6 => ScalarType.Int32,
            7 => ScalarType.Int64,
            9 => ScalarType.Bool,
            11 => ScalarType.Float64,
            _ => throw new TrainingInputException($"node '{n.Name}': Cast to ONNX element type {to} is not supported by the training importer"),
        };
        return x.dtype == type ? x : x.to_type(type);
    }

    /// <summary>Slice: starts/ends/axes as attributes (opset 1-9) or inputs with optional steps (opset 10+); indices
    /// past either end are clamped, as ONNX says.</summary>
    private static Tensor Slice(NodeProto n, Tensor x, Tensor?[] ins)
    {
        var starts = ins.Length > 1 && ins[1] is { } s ? Ints(s) : n.GetInts("starts")
            ?? throw new TrainingInputException($"node '{n.Name}': Slice without starts");
        var ends = ins.Length > 2 && ins[2] is { } e ? Ints(e) : n.GetInts("ends")
            ?? throw new TrainingInputException($"node '{n.Name}': Slice without ends");
        var axes = ins.Length > 3 && ins[3] is { } a ? Ints(a) : n.GetInts("axes") ?? Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        var steps = ins.Length > 4 && ins[4] is { } st ? Ints(st) : Enumerable.Repeat(1L, starts.Length).ToArray();
        var y = x;
        for (var i = 0; i < starts.Length; i++)
        {
            var axis = axes[i] < 0 ? axes[i] + x.dim() : axes[i];
            if (steps[i] <= 0)
            {
                throw new TrainingInputException($"node '{n.Name}': Slice with step {steps[i]} is not supported by the training importer");
            }
            var size = y.shape[axis];
            long Clamp(long v) => Math.Clamp(v < 0 ? v + size : v, 0, size);
            var from = Clamp(starts[i]);
            var to = Math.Max(from, Clamp(ends[i]));
            y = y.slice(axis, from, to, steps[i]);
        }
        return y;
    }

    private static Tensor Clip(NodeProto n, Tensor x, Tensor?[] ins)
    {
        double lo = ins.Length > 1 && ins[1] is { } min ? min.to_type(ScalarType.Float64).item<double>() : n.GetFloat("min", float.NegativeInfinity);
        double hi = ins.Length > 2 && ins[2] is { } max ? max.to_type(ScalarType.Float64).item<double>() : n.GetFloat("max", float.PositiveInfinity);
        return lo == 0 && hi == 6 ? F.relu6(x) : x.Clamped(lo, hi);
    }

    private static Tensor Selu(NodeProto n, Tensor x)
    {
        var alpha = n.GetFloat("alpha", 1.67326319217681884765625f);
        var gamma = n.GetFloat("gamma", 1.05070102214813232421875f);
        return where(x.Above(0), x, x.expm1().Times(alpha)).Times(gamma);
    }

    private static Tensor LeakyRelu(Tensor x, double alpha)
    {
        using var slope = alpha.ToScalar();
        return x.leaky_relu(slope);
    }

    private static Tensor Elu(Tensor x, double alpha)
    {
        using var a = alpha.ToScalar();
        return x.elu(a, ScalarMath.One, ScalarMath.One);
    }

    /// <summary>ln(1 + e^x) as relu(x) + ln(1 + e^-|x|): no overflow for large x.</summary>
    private static Tensor Softplus(Tensor x) => F.relu(x).Plus(x.abs().neg().exp().log1p());

    private static Tensor Pool(NodeProto n, Tensor x)
    {
        var kernel = n.GetInts("kernel_shape") ?? throw new TrainingInputException($"node '{n.Name}' ({n.OpType}) has no kernel_shape");
        var spatial = kernel.Length;
        var strides = Fill(n.GetInts("strides"), spatial, 1);
        var dilations = Fill(n.GetInts("dilations"), spatial, 1);
        var ceil = n.GetInt("ceil_mode", 0) != 0;
        var isMax = n.OpType == "MaxPool";
        var pads = AutoPads(n, x, kernel, strides, dilations);
        var includePad = n.GetInt("count_include_pad", 0) != 0;
        var tooBig = pads[..spatial].Where((p, i) => p > kernel[i] / 2).Any();
        var (input, sym) = tooBig || (!isMax && !includePad && !pads.AsSpan(0, spatial).SequenceEqual(pads.AsSpan(spatial)))
            ? SplitPadsForced(x, pads, spatial, isMax ? double.NegativeInfinity : 0)
            : SplitPads(x, pads, spatial, isMax ? double.NegativeInfinity : 0);
        if (spatial == 1)
        {
            // 1-d pools run as 2-d pools over a trailing unit axis.
            var y = PoolNd(input.unsqueeze(-1), [kernel[0], 1], [strides[0], 1], [sym[0], 0], [dilations[0], 1], ceil, isMax, includePad, 2);
            return y.squeeze(-1);
        }
        return PoolNd(input, kernel, strides, sym, dilations, ceil, isMax, includePad, spatial);
    }

    private static (Tensor X, long[] Symmetric) SplitPadsForced(Tensor x, long[] pads, int spatial, double fill)
    {
        var torchPads = new long[2 * spatial];
        for (var i = 0; i < spatial; i++)
        {
            torchPads[2 * i] = pads[spatial - 1 - i];
            torchPads[2 * i + 1] = pads[2 * spatial - 1 - i];
        }
        return (F.pad(x, torchPads, PaddingModes.Constant, fill), new long[spatial]);
    }

    private static Tensor PoolNd(Tensor x, long[] k, long[] s, long[] p, long[] d, bool ceil, bool isMax, bool includePad, int spatial) =>
        (isMax, spatial) switch
        {
            (true, 2) => F.max_pool2d(x, k, s, p, d, ceil),
            (true, 3) => F.max_pool3d(x, k, s, p, d, ceil),
            (false, 2) => F.avg_pool2d(x, k, s, p, ceil, includePad),
            (false, 3) => F.avg_pool3d(x, k, s, p, ceil, includePad),
            _ => throw new TrainingInputException($"pooling over {spatial} spatial dimensions is not supported"),
        };

    private static Tensor Flatten(NodeProto n, Tensor x)
    {
        var axis = Axis(n, x, 1);
        var outer = x.shape[..(int)axis].Aggregate(1L, (a, b) => a * b);
        return x.reshape(outer, -1);
    }

    private static Tensor Reshape(Tensor x, long[] shape)
    {
        var dims = shape.Select((d, i) => d == 0 ? x.shape[i] : d).ToArray();
        return x.reshape(dims);
    }

    private static Tensor ConstantValue(NodeProto n)
    {
        var value = n.Find("value") ?? throw new TrainingInputException($"node '{n.Name}' (Constant) has no 'value' tensor");
        return ToTensor(value.T);
    }

    private static Tensor Pad(NodeProto n, Tensor x, Tensor?[] ins)
    {
        var pads = ins.Length > 1 && ins[1] is { } p ? Ints(p) : n.GetInts("pads") ?? [];
        var value = ins.Length > 2 && ins[2] is { } v ? v.to_type(ScalarType.Float64).item<double>() : n.GetFloat("value", 0f);
        var mode = n.GetString("mode", "constant") switch
        {
            "reflect" => PaddingModes.Reflect,
            "edge" => PaddingModes.Replicate,
            _ => PaddingModes.Constant,
        };
        var rank = (int)x.dim();
        // Drop leading all-zero pairs: torch pads only trailing dims for reflect/replicate.
        var first = 0;
        while (first < rank && pads[first] == 0 && pads[rank + first] == 0)
        {
            first++;
        }
        var torchPads = new List<long>();
        for (var i = rank - 1; i >= first; i--)
        {
            torchPads.Add(pads[i]);
            torchPads.Add(pads[rank + i]);
        }
        return torchPads.Count == 0 ? x : F.pad(x, [.. torchPads], mode, value);
    }

    private static Tensor Squeeze(NodeProto n, Tensor x, Tensor?[] ins)
    {
        var axes = ins.Length > 1 && ins[1] is { } a ? Ints(a) : n.GetInts("axes");
        if (axes is null)
        {
            return x.squeeze();
        }
        var y = x;
        foreach (var axis in axes.Select(v => v < 0 ? v + x.dim() : v).OrderDescending())
        {
            y = y.squeeze(axis);
        }
        return y;
    }

    private static Tensor Unsqueeze(NodeProto n, Tensor x, Tensor?[] ins)
    {
        var axes = (ins.Length > 1 && ins[1] is { } a ? Ints(a) : n.GetInts("axes"))
            ?? throw new TrainingInputException($"node '{n.Name}' (Unsqueeze) has no axes");
        var rank = x.dim() + axes.Length;
        var y = x;
        foreach (var axis in axes.Select(v => v < 0 ? v + rank : v).Order())
        {
            y = y.unsqueeze(axis);
        }
        return y;
    }

    private static Tensor Gather(NodeProto n, Tensor x, Tensor indices)
    {
        var axis = Axis(n, x, 0);
        var idx = indices.to_type(ScalarType.Int64);
        var flat = index_select(x, axis, idx.flatten());
        var shape = x.shape.Take((int)axis).Concat(indices.shape).Concat(x.shape.Skip((int)axis + 1)).ToArray();
        return flat.reshape(shape);
    }
}
