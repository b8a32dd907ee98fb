using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Quantization;

/// <summary>
/// Writes Q/DQ nodes and quantized initializers into a graph. They are standard ONNX QuantizeLinear/DequantizeLinear
/// wherever the model's opset has them: per-tensor from opset 10, per-axis from 13, which is what any ONNX runtime
/// loads. Only what standard ONNX cannot say at the model's opset (any Q/DQ below 10, a per-axis DequantizeLinear
/// below 13: dynamic mode's weight-only recurrent weights) uses ONNX Runtime's com.microsoft versions, which take an
/// axis at any opset. Static quantization lifts the model or falls back to per-tensor before it gets here.
/// </summary>
internal sealed class QdqBuilder
{
    public const string MsDomain = "com.microsoft";
    /// <summary>The first opset whose DequantizeLinear takes an axis (per-channel weights).</summary>
    public const int PerAxisOpset = 13;

    private readonly OnnxModel _model;
    private readonly OnnxGraph _graph;
    private readonly long _opset;
    private readonly List<NodeProto> _added = [];

    public QdqBuilder(OnnxModel model)
    {
        _model = model;
        _graph = model.Graph;
        _opset = model.OpsetVersion() ?? 1;
    }

    /// <summary>Nodes created so far (the caller adds them to the graph once, then sorts).</summary>
    public IReadOnlyList<NodeProto> Added => _added;

    /// <summary>Adds a float scalar or 1-D initializer and returns its name.</summary>
    public string Floats(string prefix, float[] values, bool scalar)
    {
        var name = _graph.UniqueName(prefix);
        _graph.SetInitializer(TensorData.FromFloats(name, scalar ? [] : [values.Length], values));
        return name;
    }

    /// <summary>Adds a zero-point initializer of the given integer type and returns its name.</summary>
    public string ZeroPoints(string prefix, TensorProto.Types.DataType type, int[] values, bool scalar)
    {
        var name = _graph.UniqueName(prefix);
        long[] dims = scalar ? [] : [values.Length];
        var t = type switch
        {
            TensorProto.Types.DataType.Int8 => TensorData.Create(name, type, dims, values.Select(v => (sbyte)v).ToArray().AsSpan()),
            TensorProto.Types.DataType.Uint8 => TensorData.Create(name, type, dims, values.Select(v => (byte)v).ToArray().AsSpan()),
            _ => TensorData.Create(name, TensorProto.Types.DataType.Int32, dims, values.AsSpan()),
        };
        _graph.SetInitializer(t);
        return name;
    }

    /// <summary>Adds a QuantizeLinear node reading <paramref name="input"/>; returns the quantized value's name.</summary>
    public string Quantize(string input, string scale, string zeroPoint, string? output = null)
    {
        var q = output ?? _graph.UniqueName(input + "/q");
        var node = NodeAttributes.Create("QuantizeLinear", q, [input, scale, zeroPoint], [q]);
        node.Domain = DomainFor(perAxis: false);
        _added.Add(node);
        return q;
    }

    /// <summary>Adds a DequantizeLinear node; per-axis when <paramref name="axis"/> is set.</summary>
    public string Dequantize(string input, string scale, string zeroPoint, string? output = null, int? axis = null)
    {
        var d = output ?? _graph.UniqueName(input + "/dq");
        var node = NodeAttributes.Create("DequantizeLinear", d, [input, scale, zeroPoint], [d]);
        node.Domain = DomainFor(perAxis: axis is not null);
        if (axis is { } a)
        {
            node.SetInt("axis", a);
        }
        _added.Add(node);
        return d;
    }

    /// <summary>Adds a symmetric int8 weight initializer with its DequantizeLinear; returns the float value's name. As
    /// uint8 (an embedding table that must match uint8 activations) the same levels are stored shifted by the zero
    /// point 128.</summary>
    public string Weight(string name, sbyte[] values, long[] dims, float[] scales, int? axis, TensorProto.Types.DataType type = TensorProto.Types.DataType.Int8)
    {
        var q = _graph.UniqueName(name + "/int8");
        var unsigned = type == TensorProto.Types.DataType.Uint8;
        _graph.SetInitializer(unsigned
            ? TensorData.Create(q, type, dims, values.Select(v => (byte)(v + 128)).ToArray().AsSpan())
            : TensorData.Create(q, TensorProto.Types.DataType.Int8, dims, values.AsSpan()));
        var perAxis = axis is not null;
        var s = Floats(name + "/s", scales, !perAxis);
        var z = ZeroPoints(name + "/z", unsigned ? type : TensorProto.Types.DataType.Int8, Enumerable.Repeat(unsigned ? 128 : 0, scales.Length).ToArray(), !perAxis);
        return Dequantize(q, s, z, axis: axis);
    }

    /// <summary>Adds an int32 bias (scale = input scale x weight scale, zero point 0) with its DequantizeLinear.</summary>
    public string? Bias(string name, float[] bias, float[] scales)
    {
        var q = new int[bias.Length];
        for (var i = 0; i < bias.Length; i++)
        {
            var s = scales.Length == 1 ? scales[0] : scales[i];
            var v = Math.Round(bias[i] / s);
            if (!double.IsFinite(v) || Math.Abs(v) > int.MaxValue)
            {
                return null;
            }
            q[i] = (int)v;
        }
        var qName = _graph.UniqueName(name + "/int32");
        _graph.SetInitializer(TensorData.Create(qName, TensorProto.Types.DataType.Int32, [bias.Length], q.AsSpan()));
        var perAxis = scales.Length > 1;
        var sName = Floats(name + "/s", scales, !perAxis);
        // An int32 bias always has zero point 0, which is DequantizeLinear's default: no tensor needed.
        return Dequantize(qName, sName, "", axis: perAxis ? 0 : null);
    }

    private string DomainFor(bool perAxis)
    {
        if (_opset >= PerAxisOpset || (_opset >= 10 && !perAxis))
        {
            return "";
        }
        if (_model.OpsetVersion(MsDomain) is null)
        {
            _model.Proto.OpsetImport.Add(new OperatorSetIdProto { Domain = MsDomain, Version = 1 });
        }
        return MsDomain;
    }
}
