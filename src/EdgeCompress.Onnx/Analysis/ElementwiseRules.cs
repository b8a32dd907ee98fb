using EdgeCompress.Onnx.Protos;
using DT = EdgeCompress.Onnx.Protos.TensorProto.Types.DataType;

namespace EdgeCompress.Onnx;

/// <summary>Shape rules for operators whose output has the input's shape (activations, normalisations, casts)
/// and for broadcasting arithmetic and comparisons, with folding of integer arithmetic used in shape computations.</summary>
internal static class ElementwiseRules
{
    private static readonly string[] SameShape =
    [
        "Relu", "Clip", "HardSwish", "HardSigmoid", "Sigmoid", "Tanh", "LeakyRelu", "Elu", "Selu", "Celu", "Gelu",
        "Abs", "Neg", "Exp", "Log", "Sqrt", "Reciprocal", "Floor", "Ceil", "Round", "Sign", "Erf", "Softplus",
        "Softsign", "Mish", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh",
        "Identity", "Softmax", "LogSoftmax", "Hardmax", "LRN", "InstanceNormalization", "ThresholdedRelu", "Shrink",
        "CumSum", "Trilu", "ReverseSequence", "MeanVarianceNormalization", "BitwiseNot", "EyeLike",
        "LpNormalization", "Swish", "Binarizer",
    ];

    private static readonly string[] Arithmetic = ["Add", "Sub", "Mul", "Div", "Pow", "Mod", "Max", "Min", "Sum", "Mean",
        "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "PRelu"];

    private static readonly string[] Comparisons = ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor"];

    public static void Register(Dictionary<string, Action<NodeContext>> rules)
    {
        foreach (var op in SameShape)
        {
            rules[op] = c => c.Out(0, c.In(0));
        }
        foreach (var op in Arithmetic)
        {
            rules[op] = Arith;
        }
        foreach (var op in Comparisons)
        {
            rules[op] = c => c.Out(0, DT.Bool, Broadcast.Shapes(Inputs(c)));
        }
        rules["Neg"] = c =>
        {
            c.Out(0, c.In(0));
            if (c.Values(0) is { } v)
            {
                c.OutValues(0, v.Select(d => d.IsKnown ? Dim.Of(-d.Value) : Dim.Unknown).ToArray());
            }
        };
        rules["Not"] = c => c.Out(0, DT.Bool, c.Dims(0));
        rules["IsNaN"] = c => c.Out(0, DT.Bool, c.Dims(0));
        rules["IsInf"] = c => c.Out(0, DT.Bool, c.Dims(0));
        rules["Where"] = c => c.Out(0, c.Type(1), Broadcast.Shapes(c.Dims(0), c.Dims(1), c.Dims(2)));
        rules["Cast"] = c =>
        {
            c.Out(0, (DT)c.Int("to", (long)DT.Float), c.Dims(0));
            if (c.Values(0) is { } v)
            {
                c.OutValues(0, v);
            }
        };
        rules["CastLike"] = c => c.Out(0, c.Type(1), c.Dims(0));
        rules["Dropout"] = c =>
        {
            c.Out(0, c.In(0));
            c.Out(1, DT.Bool, c.Dims(0));
        };
        rules["BatchNormalization"] = c =>
        {
            c.Out(0, c.In(0));
            for (var i = 1; i < 5; i++)
            {
                c.Out(i, c.Type(0), c.Dims(1));
            }
        };
        rules["LayerNormalization"] = c => c.Out(0, c.In(0));
        rules["QuantizeLinear"] = c =>
        {
            // The zero point's type decides the output type; without one, output_dtype (opset 21) or uint8.
            var type = c.HasInput(2) ? c.Type(2) : (DT)c.Int("output_dtype", 0);
            c.Out(0, type == DT.Undefined ? DT.Uint8 : type, c.Dims(0));
        };
        rules["DequantizeLinear"] = c => c.Out(0, c.Type(1), c.Dims(0));
        rules["DynamicQuantizeLinear"] = c =>
        {
            c.Out(0, DT.Uint8, c.Dims(0));
            c.Out(1, DT.Float, []);
            c.Out(2, DT.Uint8, []);
        };
    }

    private static IReadOnlyList<Dim>?[] Inputs(NodeContext c) =>
        Enumerable.Range(0, c.InputCount).Where(c.HasInput).Select(c.Dims).ToArray();

    private static void Arith(NodeContext c)
    {
        var type = c.Node.OpType == "PRelu" ? c.Type(0)
            : Enumerable.Range(0, c.InputCount).Select(c.Type).FirstOrDefault(t => t != DT.Undefined);
        c.Out(0, type, c.Node.OpType == "PRelu" ? c.Dims(0) : Broadcast.Shapes(Inputs(c)));
        if (c.InputCount != 2)
        {
            return;
        }
        Func<long, long, long?>? op = c.Node.OpType switch
        {
            "Add" => (a, b) => SafeMath.Add(a, b),
            "Sub" => (a, b) => SafeMath.Add(a, -b),
            "Mul" => (a, b) => SafeMath.Multiply(a, b),
            // Integer Div truncates toward zero, as ONNX Runtime does for integer tensors.
            "Div" => (a, b) => b == 0 ? null : a / b,
            "Max" => (a, b) => Math.Max(a, b),
            "Min" => (a, b) => Math.Min(a, b),
            _ => null,
        };
        if (op is not null && IsInteger(type) && Broadcast.Values(c.Values(0), c.Values(1), op) is { } v)
        {
            c.OutValues(0, v);
        }
        else if (c.Node.OpType == "Mul" && IsInteger(type) && SymbolicTimesOne(c.Values(0), c.Values(1)) is { } s)
        {
            c.OutValues(0, s);
        }
    }

    // Shape arithmetic often multiplies a symbolic batch dim by 1; keep the symbol.
    private static Dim[]? SymbolicTimesOne(Dim[]? a, Dim[]? b)
    {
        if (a is null || b is null || a.Length != b.Length)
        {
            return null;
        }
        return a.Zip(b, (x, y) => x * y).ToArray();
    }

    public static bool IsInteger(DT t) => t is DT.Int64 or DT.Int32 or DT.Int16 or DT.Int8 or DT.Uint8 or DT.Uint16 or DT.Uint32 or DT.Uint64;
}
