using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Tests.Pruning;

/// <summary>Builds CNN graphs layer by layer with seeded weights, stored as initializers or, like some exporters
/// do, as Constant nodes.</summary>
internal sealed class NetBuilder
{
    private readonly GraphProto _g = new() { Name = "net" };
    private readonly Random _r;
    private readonly bool _constants;
    private int _next;

    public NetBuilder(string input, long[] dims, int seed = 11, bool constantNodes = false)
    {
        _r = new Random(seed);
        _constants = constantNodes;
        _g.Input.Add(TestModels.Value(input, TensorProto.Types.DataType.Float, dims));
    }

    private string Fresh(string prefix) => $"{prefix}{_next++}";

    public string Weight(string name, long[] dims, double scale)
    {
        var n = (int)dims.Aggregate(1L, (a, b) => a * b);
        var t = TensorData.FromFloats(name, dims, TestModels.Random(_r, n, scale));
        if (_constants)
        {
            _g.Node.Add(TestModels.Node("Constant", name + "_const", [], [name], c => c.SetTensor("value", t)));
        }
        else
        {
            _g.Initializer.Add(t);
        }
        return name;
    }

    /// <summary>The node added last (to add extra outputs, e.g. a Split's second output).</summary>
    public NodeProto LastNode => _g.Node[^1];

    /// <summary>An int64 initializer (shapes, split sizes).</summary>
    public string Int64s(long[] values)
    {
        var name = Fresh("i64_");
        _g.Initializer.Add(TensorData.FromInt64s(name, [values.Length], values));
        return name;
    }

    public string Scalar(float value)
    {
        var name = Fresh("s");
        _g.Initializer.Add(TensorData.FromFloats(name, [], [value]));
        return name;
    }

    /// <summary>Conv; the first <paramref name="zeroFirst"/> (a fraction) of the output channels get all-zero weights
    /// and bias, so they are dead channels.</summary>
    public string Conv(string x, int cin, int cout, int k = 3, int stride = 1, int group = 1, bool bias = true, double zeroFirst = 0, string? name = null)
    {
        name ??= Fresh("conv");
        var w = Weight(name + "_w", [cout, cin / group, k, k], Math.Sqrt(2.0 / (cin / group * k * k)));
        var inputs = new List<string> { x, w };
        if (bias)
        {
            inputs.Add(Weight(name + "_b", [cout], 0.05));
        }
        if (zeroFirst > 0)
        {
            ZeroRows(inputs.Skip(1), (int)Math.Round(zeroFirst * cout));
        }
        _g.Node.Add(TestModels.Node("Conv", name, [.. inputs], [name + "_out"], n =>
        {
            n.SetInts("kernel_shape", [k, k]);
            n.SetInts("pads", [k / 2, k / 2, k / 2, k / 2]);
            n.SetInts("strides", [stride, stride]);
            n.SetInt("group", group);
        }));
        return name + "_out";
    }

    private void ZeroRows(IEnumerable<string> tensors, int rows)
    {
        foreach (var name in tensors)
        {
            var t = new OnnxGraph(_g).GetConstant(name) ?? _g.Node.First(n => n.Output.Contains(name)).Attribute[0].T;
            var v = TensorData.ToFloats(t);
            var per = v.Length / (int)t.Dims[0];
            Array.Clear(v, 0, rows * per);
            TensorData.SetValues<float>(t, t.Dims.ToArray(), v);
        }
    }

    public string Bn(string x, int c)
    {
        var name = Fresh("bn");
        var scale = Weight(name + "_scale", [c], 0.3);
        var t = new OnnxGraph(_g).GetConstant(scale) ?? _g.Node.Last().Attribute[0].T;
        TensorData.SetValues<float>(t, [c], TensorData.ToFloats(t).Select(v => 1 + v).ToArray());
        var bias = Weight(name + "_bias", [c], 0.1);
        var mean = Weight(name + "_mean", [c], 0.1);
        var variance = Weight(name + "_var", [c], 0.1);
        var vt = new OnnxGraph(_g).GetConstant(variance) ?? _g.Node.Last().Attribute[0].T;
        TensorData.SetValues<float>(vt, [c], TensorData.ToFloats(vt).Select(v => 1 + Math.Abs(v)).ToArray());
        return Op("BatchNormalization", [x, scale, bias, mean, variance]);
    }

    public string Op(string op, string[] inputs, Action<NodeProto>? setup = null)
    {
        var name = Fresh(op.ToLowerInvariant());
        _g.Node.Add(TestModels.Node(op, name, inputs, [name + "_out"], setup));
        return name + "_out";
    }

    public string Relu(string x) => Op("Relu", [x]);

    public string Relu6(string x) => Op("Clip", [x, Scalar(0), Scalar(6)]);

    public string Add(string a, string b) => Op("Add", [a, b]);

    public string Gap(string x) => Op("GlobalAveragePool", [x]);

    /// <summary>Concat along axis 0 (building shape vectors).</summary>
    public string Concat0(params string[] xs) => Op("Concat", xs, n => n.SetInt("axis", 0));

    public string Concat(params string[] xs) => Op("Concat", xs, n => n.SetInt("axis", 1));

    /// <summary>GAP, Flatten, Gemm to <paramref name="classes"/> logits named "logits".</summary>
    public string Head(string x, int c, int classes = 10, bool pool = true, long spatial = 1, bool flatten = true)
    {
        var flat = flatten ? Op("Flatten", [pool ? Gap(x) : x], n => n.SetInt("axis", 1)) : x;
        var k = pool ? c : c * spatial;
        var w = Weight("fc_w", [classes, k], 1.0 / Math.Sqrt(k));
        var b = Weight("fc_b", [classes], 0.1);
        _g.Node.Add(TestModels.Node("Gemm", "fc", [flat, w, b], ["logits"], n => n.SetInt("transB", 1)));
        return "logits";
    }

    public OnnxModel Build(string output, params long[] dims)
    {
        _g.Output.Add(TestModels.Value(output, TensorProto.Types.DataType.Float, dims));
        var m = new ModelProto { IrVersion = 8, ProducerName = "edgecompress-tests", Graph = _g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return new OnnxModel(m);
    }
}
