using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using DT = EdgeCompress.Onnx.Protos.TensorProto.Types.DataType;

namespace EdgeCompress.Testing;

/// <summary>Builds small ONNX models in code for tests: inputs with fixed or symbolic dims, initializers, nodes.</summary>
public sealed class ModelBuilder
{
    private readonly ModelProto _model;

    public ModelBuilder(long opset = 17)
    {
        _model = new ModelProto { IrVersion = 8, ProducerName = "edgec-tests", Graph = new GraphProto { Name = "g" } };
        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
    }

    public GraphProto Graph => _model.Graph;

    /// <summary>Adds a graph input; dims are numbers, or strings for symbolic dims.</summary>
    public ModelBuilder Input(string name, params object[] dims) => Value(_model.Graph.Input, name, DT.Float, dims);

    public ModelBuilder TypedInput(string name, DT type, params object[] dims) => Value(_model.Graph.Input, name, type, dims);

    public ModelBuilder Output(string name, params object[] dims) => Value(_model.Graph.Output, name, DT.Float, dims);

    /// <summary>A graph output with no declared shape.</summary>
    public ModelBuilder OutputNoShape(string name)
    {
        _model.Graph.Output.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DT.Float } } });
        return this;
    }

    public ModelBuilder ValueInfo(string name, params object[] dims) => Value(_model.Graph.ValueInfo, name, DT.Float, dims);

    private ModelBuilder Value(IList<ValueInfoProto> list, string name, DT type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture) });
        }
        list.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } });
        return this;
    }

    /// <summary>A float initializer filled with a deterministic pattern.</summary>
    public ModelBuilder Weight(string name, params long[] dims)
    {
        var count = (int)dims.Aggregate(1L, (a, b) => a * b);
        var values = Enumerable.Range(0, count).Select(i => ((i * 37) % 17 - 8) / 16f).ToArray();
        _model.Graph.Initializer.Add(TensorData.FromFloats(name, dims, values));
        return this;
    }

    public ModelBuilder Ints(string name, params long[] values)
    {
        _model.Graph.Initializer.Add(TensorData.FromInt64s(name, [values.Length], values));
        return this;
    }

    public ModelBuilder Scalar(string name, long value)
    {
        _model.Graph.Initializer.Add(TensorData.FromInt64s(name, [], [value]));
        return this;
    }

    public ModelBuilder Floats(string name, params float[] values)
    {
        _model.Graph.Initializer.Add(TensorData.FromFloats(name, [values.Length], values));
        return this;
    }

    /// <summary>Adds a node; attributes as (name, value) with long, float, string, long[] or float[] values.</summary>
    public ModelBuilder Node(string op, string[] inputs, string[] outputs, params (string Name, object Value)[] attributes)
    {
        var node = NodeAttributes.Create(op, outputs[0] + "_node", inputs, outputs);
        foreach (var (name, value) in attributes)
        {
            switch (value)
            {
                case long l: node.SetInt(name, l); break;
                case int i: node.SetInt(name, i); break;
                case float f: node.SetFloat(name, f); break;
                case string s: node.SetString(name, s); break;
                case long[] ls: node.SetInts(name, ls); break;
                case float[] fs:
                    var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
                    a.Floats.AddRange(fs);
                    node.Attribute.Add(a);
                    break;
                default: throw new ArgumentException($"attribute {name}: unsupported value {value}");
            }
        }
        _model.Graph.Node.Add(node);
        return this;
    }

    public OnnxModel Build() => new(_model.Clone());

    public ModelProto Proto => _model;
}
