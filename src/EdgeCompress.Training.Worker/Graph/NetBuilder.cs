using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Training.Worker.Graph;

/// <summary>
/// Writes a freshly initialised network straight as an ONNX graph (opset 13), which GraphModule then trains.
/// Initialisation: Kaiming-normal (fan-in, ReLU gain) for conv and linear weights, BatchNorm at identity, from a
/// seeded System.Random so the same seed gives the same starting network everywhere.
/// </summary>
internal sealed class NetBuilder
{
    private readonly GraphProto _graph = new() { Name = "edgec" };
    private readonly Random _rng;
    private int _counter;

    public NetBuilder(int seed, string inputName, long channels, long height, long width)
    {
        _rng = new Random(seed);
        _graph.Input.Add(ValueInfo(inputName, [-1, channels, height, width]));
    }

    public GraphProto Graph => _graph;

    /// <summary>Folds input normalisation (x - mean) / std into the graph so callers feed raw [0,1] pixels.</summary>
    public string Normalise(string x, float mean, float std)
    {
        var sub = Node("Sub", [x, Const("norm_mean", [mean], [])], "norm_sub");
        return Node("Mul", [sub, Const("norm_inv_std", [1f / std], [])], "norm_mul");
    }

    public string Conv(string x, long cin, long cout, long kernel, long stride = 1, long groups = 1, bool bias = false)
    {
        var name = Next("conv");
        var fanIn = cin / groups * kernel * kernel;
        var w = Kaiming(name + ".weight", [cout, cin / groups, kernel, kernel], fanIn);
        var inputs = new List<string> { x, w };
        if (bias)
        {
            inputs.Add(Const(name + ".bias", new float[cout], [cout]));
        }
        var node = NodeAttributes.Create("Conv", name, inputs, [name + ".out"]);
        node.SetInts("kernel_shape", [kernel, kernel]);
        node.SetInts("strides", [stride, stride]);
        node.SetInts("pads", [kernel / 2, kernel / 2, kernel / 2, kernel / 2]);
        node.SetInt("group", groups);
        _graph.Node.Add(node);
        return node.Output[0];
    }

    public string BatchNorm(string x, long channels)
    {
        var name = Next("bn");
        var node = NodeAttributes.Create("BatchNormalization", name,
            [x, Const(name + ".weight", Enumerable.Repeat(1f, (int)channels).ToArray(), [channels]),
             Const(name + ".bias", new float[channels], [channels]),
             Const(name + ".running_mean", new float[channels], [channels]),
             Const(name + ".running_var", Enumerable.Repeat(1f, (int)channels).ToArray(), [channels])],
            [name + ".out"]);
        node.SetFloat("epsilon", 1e-5f);
        node.SetFloat("momentum", 0.9f);
        _graph.Node.Add(node);
        return node.Output[0];
    }

    public string ConvBn(string x, long cin, long cout, long kernel, long stride = 1, long groups = 1, string? act = "Relu")
    {
        var y = BatchNorm(Conv(x, cin, cout, kernel, stride, groups), cout);
        return act switch
        {
            null => y,
            "Relu6" => Relu6(y),
            _ => Node(act, [y], "act"),
        };
    }

    public string Relu(string x) => Node("Relu", [x], "relu");

    /// <summary>ReLU6 as opset-13 Clip with constant bounds (what pytorch exports for nn.ReLU6).</summary>
    public string Relu6(string x) => Node("Clip", [x, Const(Next("clip_min"), [0f], []), Const(Next("clip_max"), [6f], [])], "relu6");

    public string Add(string a, string b) => Node("Add", [a, b], "add");

    public string MaxPool(string x, long size, long? stride = null)
    {
        var name = Next("maxpool");
        var node = NodeAttributes.Create("MaxPool", name, [x], [name + ".out"]);
        node.SetInts("kernel_shape", [size, size]);
        node.SetInts("strides", [stride ?? size, stride ?? size]);
        _graph.Node.Add(node);
        return node.Output[0];
    }

    public string GlobalAveragePool(string x) => Node("GlobalAveragePool", [x], "gap");

    public string Flatten(string x)
    {
        var name = Next("flatten");
        var node = NodeAttributes.Create("Flatten", name, [x], [name + ".out"]);
        node.SetInt("axis", 1);
        _graph.Node.Add(node);
        return node.Output[0];
    }

    public string Dropout(string x, float ratio)
    {
        var name = Next("dropout");
        _graph.Node.Add(NodeAttributes.Create("Dropout", name, [x, Const(name + ".ratio", [ratio], [])], [name + ".out"]));
        return name + ".out";
    }

    /// <summary>A fully connected layer as Gemm(transB=1), weight [out, in] like torch.nn.Linear.</summary>
    public string Linear(string x, long inFeatures, long outFeatures, string? outputName = null)
    {
        var name = Next("fc");
        // The classifier feeds softmax, not a ReLU: drop the ReLU gain so the first logits start near zero.
        var w = Kaiming(name + ".weight", [outFeatures, inFeatures], outputName is null ? inFeatures : 2 * inFeatures);
        var b = Const(name + ".bias", new float[outFeatures], [outFeatures]);
        var node = NodeAttributes.Create("Gemm", name, [x, w, b], [outputName ?? name + ".out"]);
        node.SetInt("transB", 1);
        _graph.Node.Add(node);
        return node.Output[0];
    }

    /// <summary>Finishes the model: one output of shape [N, classes].</summary>
    public ModelProto Build(string output, long classes, IReadOnlyDictionary<string, string> metadata)
    {
        _graph.Output.Add(ValueInfo(output, [-1, classes]));
        var model = new ModelProto { IrVersion = 8, ProducerName = "edgec", ProducerVersion = "0.1.0", Graph = _graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        foreach (var (k, v) in metadata)
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = k, Value = v });
        }
        return model;
    }

    private string Node(string op, IEnumerable<string> inputs, string stem)
    {
        var name = Next(stem);
        _graph.Node.Add(NodeAttributes.Create(op, name, inputs, [name + ".out"]));
        return name + ".out";
    }

    private string Next(string stem) => $"{stem}{_counter++}";

    private string Const(string name, float[] values, long[] dims)
    {
        _graph.Initializer.Add(TensorData.FromFloats(name, dims, values));
        return name;
    }

    private string Kaiming(string name, long[] dims, long fanIn)
    {
        var count = (int)dims.Aggregate(1L, (a, b) => a * b);
        var std = Math.Sqrt(2.0 / fanIn);
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            // Box-Muller: System.Random has no normal sampler.
            var u1 = 1.0 - _rng.NextDouble();
            var u2 = _rng.NextDouble();
            values[i] = (float)(std * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return Const(name, values, dims);
    }

    internal static ValueInfoProto ValueInfo(string name, long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
