using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Onnx;

/// <summary>
/// What a float16 model had in float16, so a float32 copy of it can be written back in the input's precision.
/// </summary>
/// <param name="Initializers">Names of initializers that were float16.</param>
/// <param name="Values">Graph inputs, outputs and value_info entries that were float16.</param>
/// <param name="Casts">Outputs of Cast nodes whose target was float16.</param>
/// <param name="Constants">Outputs of Constant/ConstantOfShape nodes whose value was float16.</param>
public sealed record Float16Record(
    IReadOnlySet<string> Initializers, IReadOnlySet<string> Values, IReadOnlySet<string> Casts, IReadOnlySet<string> Constants);

/// <summary>
/// Float16 models through float32 passes: every pass computes in float32 on a converted copy, and the result is
/// written in the input's precision. One mechanism for every pass, so a float16 model is handled the same by all
/// (before, one pass pruned float16 weights, another refused them and a third skipped them). Values are widened
/// exactly (every float16 is a float32), so the round trip of an untouched tensor is the identity.
/// </summary>
public static class Float16Precision
{
    private const int F16 = (int)TensorProto.Types.DataType.Float16;
    private const int F32 = (int)TensorProto.Types.DataType.Float;

    /// <summary>The sentence every pass prints when it computed a float16 model in float32.</summary>
    public const string Note = "float16 model: computed in float32, written back in float16";

    /// <summary>Ops whose constant float inputs are weights in the model's precision (a pass's new weights follow them).</summary>
    private static readonly HashSet<string> WeightOps = new(StringComparer.Ordinal)
    {
        "Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "BatchNormalization", "PRelu",
    };

    /// <summary>True when any initializer, graph input/output or constant is float16.</summary>
    public static bool Applies(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var g = model.Graph.Proto;
        return g.Initializer.Any(t => t.DataType == F16)
            || g.Input.Concat(g.Output).Any(v => v.Type?.TensorType?.ElemType == F16)
            || g.Node.Any(n => n.OpType == "Constant" && n.Attribute.Any(a => a.T?.DataType == F16));
    }

    /// <summary>A float32 copy of <paramref name="model"/> and what was float16 in it.</summary>
    public static (OnnxModel Model, Float16Record Record) ToFloat32(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var proto = model.Proto.Clone();
        var g = proto.Graph;
        var initializers = new HashSet<string>(StringComparer.Ordinal);
        var values = new HashSet<string>(StringComparer.Ordinal);
        var casts = new HashSet<string>(StringComparer.Ordinal);
        var constants = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < g.Initializer.Count; i++)
        {
            if (g.Initializer[i].DataType == F16)
            {
                initializers.Add(g.Initializer[i].Name);
                g.Initializer[i] = Convert(g.Initializer[i], F32);
            }
        }
        foreach (var v in g.Input.Concat(g.Output).Concat(g.ValueInfo).Where(v => v.Type?.TensorType?.ElemType == F16))
        {
            values.Add(v.Name);
            v.Type.TensorType.ElemType = F32;
        }
        foreach (var n in g.Node)
        {
            foreach (var a in n.Attribute)
            {
                if (n.OpType == "Cast" && a.Name == "to" && a.I == F16)
                {
                    a.I = F32;
                    casts.Add(n.Output[0]);
                }
                else if (n.OpType is "Constant" or "ConstantOfShape" && a.T is { DataType: F16 } t)
                {
                    a.T = Convert(t, F32);
                    constants.Add(n.Output[0]);
                }
            }
        }
        return (new OnnxModel(proto, model.SourcePath), new Float16Record(initializers, values, casts, constants));
    }

    /// <summary>
    /// Writes a float32 result of a pass back in float16: what was float16 before (by name), plus new float
    /// initializers a pass added as weights of compute ops (factorized layers). Other float32 tensors stay as
    /// they are (a Resize's scales, a quantizer's scales).
    /// </summary>
    public static OnnxModel ToFloat16(OnnxModel result, Float16Record record)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(record);
        var proto = result.Proto.Clone();
        var g = proto.Graph;
        var consumers = g.Node.SelectMany(n => n.Input.Select(i => (i, n.OpType))).ToLookup(x => x.i, x => x.OpType, StringComparer.Ordinal);
        var graphInputs = g.Input.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < g.Initializer.Count; i++)
        {
            var t = g.Initializer[i];
            if (t.DataType != F32)
            {
                continue;
            }
            var added = !record.Initializers.Contains(t.Name) && !graphInputs.Contains(t.Name)
                && consumers[t.Name].Any() && consumers[t.Name].All(WeightOps.Contains);
            if (record.Initializers.Contains(t.Name) || added)
            {
                g.Initializer[i] = Convert(t, F16);
            }
        }
        foreach (var v in g.Input.Concat(g.Output).Concat(g.ValueInfo).Where(v => record.Values.Contains(v.Name) && v.Type?.TensorType?.ElemType == F32))
        {
            v.Type.TensorType.ElemType = F16;
        }
        foreach (var n in g.Node.Where(n => n.Output.Count > 0))
        {
            foreach (var a in n.Attribute)
            {
                if (n.OpType == "Cast" && a.Name == "to" && a.I == F32 && record.Casts.Contains(n.Output[0]))
                {
                    a.I = F16;
                }
                else if (n.OpType is "Constant" or "ConstantOfShape" && a.T is { DataType: F32 } t && record.Constants.Contains(n.Output[0]))
                {
                    a.T = Convert(t, F16);
                }
            }
        }
        return new OnnxModel(proto, result.SourcePath);
    }

    /// <summary>The sentence quantize prints for a float16 model.</summary>
    public const string QuantizedNote = "float16 model: quantized in float32; its inputs and outputs stay float16 (Cast at the edges), layers kept float compute in float32";

    /// <summary>
    /// Keeps a float16 model's interface on a float32 result whose inside cannot go back to float16 (a QDQ model:
    /// QuantizeLinear's input and scale must share one type): graph inputs and outputs that were float16 are float16
    /// again, with a Cast to float32 after each input and a Cast to float16 before each output.
    /// </summary>
    public static OnnxModel KeepInterface(OnnxModel result, Float16Record record)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(record);
        var proto = result.Proto.Clone();
        var g = proto.Graph;
        var initializers = g.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var casts = new List<NodeProto>();
        foreach (var v in g.Input.Where(v => record.Values.Contains(v.Name) && !initializers.Contains(v.Name) && v.Type?.TensorType?.ElemType == F32))
        {
            var inside = v.Name + "_float32";
            foreach (var n in g.Node)
            {
                for (var i = 0; i < n.Input.Count; i++)
                {
                    if (n.Input[i] == v.Name)
                    {
                        n.Input[i] = inside;
                    }
                }
            }
            casts.Add(CastNode(v.Name, inside, F32));
            v.Type.TensorType.ElemType = F16;
        }
        var tail = new List<NodeProto>();
        foreach (var v in g.Output.Where(v => record.Values.Contains(v.Name) && v.Type?.TensorType?.ElemType == F32))
        {
            var inside = v.Name + "_float32";
            foreach (var n in g.Node)
            {
                for (var i = 0; i < n.Output.Count; i++)
                {
                    if (n.Output[i] == v.Name)
                    {
                        n.Output[i] = inside;
                    }
                }
                for (var i = 0; i < n.Input.Count; i++)
                {
                    if (n.Input[i] == v.Name)
                    {
                        n.Input[i] = inside;
                    }
                }
            }
            tail.Add(CastNode(inside, v.Name, F16));
            v.Type.TensorType.ElemType = F16;
        }
        for (var i = casts.Count - 1; i >= 0; i--)
        {
            g.Node.Insert(0, casts[i]);
        }
        g.Node.Add(tail);
        g.ValueInfo.Clear();
        return new OnnxModel(proto, result.SourcePath);
    }

    private static NodeProto CastNode(string from, string to, int type)
    {
        var node = new NodeProto { OpType = "Cast", Name = $"edgec_cast_{to}" };
        node.Input.Add(from);
        node.Output.Add(to);
        node.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = type });
        return node;
    }

    private static TensorProto Convert(TensorProto t, int to)
    {
        var values = TensorData.ToFloats(t);
        var converted = to == F16
            ? TensorData.Create<Half>(t.Name, TensorProto.Types.DataType.Float16, t.Dims.ToArray(), Array.ConvertAll(values, v => (Half)v))
            : TensorData.FromFloats(t.Name, t.Dims.ToArray(), values);
        converted.DocString = t.DocString;
        return converted;
    }
}
