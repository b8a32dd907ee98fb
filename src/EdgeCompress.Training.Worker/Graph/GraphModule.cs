using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EdgeCompress.Training.Worker.Graph;

/// <summary>
/// A TorchSharp module that runs an ONNX graph: the graph's nodes are the module's structure and its float
/// initializers are the module's parameters (weights) and buffers (BatchNorm statistics, constants).
/// Why an interpreter instead of a class per architecture: the compressor's passes hand us graphs of any shape
/// (pruned channels, factorised convs), and fine-tuning must keep exactly that structure. Export writes the same
/// nodes back with the trained values, so import(export(m)) is the identity on structure.
/// </summary>
internal sealed partial class GraphModule : nn.Module<Tensor, Tensor>
{
    private readonly ModelProto _proto;
    private readonly Dictionary<string, Tensor> _constants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Parameter> _weights = new(StringComparer.Ordinal);
    private readonly List<NodeProto> _nodes;
    private readonly string _inputName;
    private readonly string _outputName;

    /// <summary>Wraps a model; every node must be in the supported operator set.</summary>
    public GraphModule(ModelProto proto) : base("GraphModule")
    {
        _proto = proto;
        var graph = proto.Graph ?? throw new TrainingInputException("model has no graph");
        LiftConstantTensors(graph);
        _nodes = [.. graph.Node];
        for (var k = 0; k < _nodes.Count; k++)
        {
            var node = _nodes[k];
            if (!SupportedOps.Contains(node.OpType) || (node.Domain is { Length: > 0 } d && d != "ai.onnx"))
            {
                throw new TrainingInputException(
                    $"{Describe(node, k)} uses operator {(node.Domain is { Length: > 0 } dom ? dom + "." : "")}{node.OpType}, which the training importer does not support (supported: {string.Join(", ", SupportedOps.Order(StringComparer.Ordinal))})");
            }
        }
        var initNames = graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var realInputs = graph.Input.Where(i => !initNames.Contains(i.Name)).ToList();
        if (realInputs.Count != 1 || graph.Output.Count != 1)
        {
            throw new TrainingInputException(
                $"the training importer needs a model with one input and one output; this one has {realInputs.Count} inputs and {graph.Output.Count} outputs");
        }
        _inputName = realInputs[0].Name;
        _outputName = graph.Output[0].Name;
        var trainable = TrainableInitializers(graph);
        var index = 0;
        foreach (var init in graph.Initializer)
        {
            var t = ToTensor(init);
            if (trainable.Contains(init.Name) && t.dtype == ScalarType.Float32)
            {
                var p = new Parameter(t, requires_grad: true);
                _weights[init.Name] = p;
                register_parameter($"p{index++}", p);
            }
            else
            {
                _constants[init.Name] = t;
                register_buffer($"b{index++}", t);
            }
        }
    }

    /// <summary>
    /// Turns Constant nodes holding a tensor into initializers (edited in place): exporters such as Paddle2ONNX store
    /// every weight that way, and only initializers become trainable parameters. The model exported afterwards holds
    /// the same values as initializers, which every runtime reads the same way.
    /// </summary>
    private static void LiftConstantTensors(GraphProto graph)
    {
        var lifted = graph.Node.Where(n => n.OpType == "Constant" && n.Domain is null or "" or "ai.onnx" && n.Output.Count == 1
            && n.Attribute.Count == 1 && n.Attribute[0].Name == "value" && n.Attribute[0].T is not null).ToList();
        foreach (var n in lifted)
        {
            var t = n.Attribute[0].T.Clone();
            t.Name = n.Output[0];
            graph.Initializer.Add(t);
            graph.Node.Remove(n);
        }
    }

    /// <summary>"node 'conv3'", or for unnamed nodes (common in pytorch exports) "node #4 (output '7')".</summary>
    internal static string Describe(NodeProto node, int index) =>
        node.Name.Length > 0 ? $"node '{node.Name}'" : $"node #{index} (output '{node.Output.FirstOrDefault()}')";

    /// <summary>The model input's name.</summary>
    public string InputName => _inputName;

    /// <summary>The ONNX model this module was built from (structure; values are stale after training).</summary>
    public ModelProto Proto => _proto;

    /// <summary>Trainable initializers by ONNX name.</summary>
    public IReadOnlyDictionary<string, Parameter> Weights => _weights;

    /// <summary>Non-trainable initializers (BatchNorm statistics, shapes, constants) by ONNX name.</summary>
    public IReadOnlyDictionary<string, Tensor> Constants => _constants;

    /// <summary>Optional per-value hook: QAT inserts fake quantisation here. Returns the value to use.</summary>
    public Func<string, Tensor, Tensor>? ActivationHook { get; set; }

    /// <summary>Optional per-weight hook (QAT weight fake quantisation).</summary>
    public Func<string, Tensor, Tensor>? WeightHook { get; set; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => Run(input, null);

    /// <summary>Runs the graph; when <paramref name="capture"/> is given, also returns the named intermediate values.</summary>
    public Tensor Run(Tensor input, IDictionary<string, Tensor>? capture)
    {
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        values[_inputName] = ActivationHook is { } ah ? ah(_inputName, input) : input;
        foreach (var node in _nodes)
        {
            var ins = new Tensor?[node.Input.Count];
            for (var i = 0; i < ins.Length; i++)
            {
                var name = node.Input[i];
                if (name.Length == 0)
                {
                    continue;
                }
                ins[i] = values.TryGetValue(name, out var v) ? v : Lookup(name, node);
            }
            var outs = Execute(node, ins);
            if (NanTrace)
            {
                TraceNonFinite(node, ins, outs);
            }
            for (var i = 0; i < outs.Length && i < node.Output.Count; i++)
            {
                var o = outs[i];
                if (ActivationHook is { } hook && o.dtype == ScalarType.Float32)
                {
                    o = hook(node.Output[i], o);
                }
                values[node.Output[i]] = o;
                if (capture is not null && capture.ContainsKey(node.Output[i]))
                {
                    capture[node.Output[i]] = o;
                }
            }
        }
        return values.TryGetValue(_outputName, out var result)
            ? result
            : throw new TrainingInputException($"graph output '{_outputName}' is never produced");
    }

    private static readonly string? NanTracePath = Environment.GetEnvironmentVariable("EDGEC_WORKER_NAN_TRACE");
    private static bool NanTrace => NanTracePath is { Length: > 0 };

    private static void TraceNonFinite(NodeProto node, Tensor?[] ins, Tensor[] outs)
    {
        foreach (var o in outs)
        {
            if (o.dtype == ScalarType.Float32 && !isfinite(o).all().item<bool>())
            {
                var desc = string.Join("; ", ins.Select((t, i) => t is null ? "-" : $"in{i} {string.Join('x', t.shape)} finite={isfinite(t).all().item<bool>()} absmax={t.abs().max().item<float>()}"));
                File.AppendAllText(NanTracePath!, $"nan-trace: {node.OpType} '{node.Name}' out {string.Join('x', o.shape)} nonfinite={(~isfinite(o)).sum().item<long>()} <- {desc}\n");
            }
        }
    }

    private Tensor Lookup(string name, NodeProto node)
    {
        if (_weights.TryGetValue(name, out var p))
        {
            return WeightHook is { } wh ? wh(name, p) : p;
        }
        if (_constants.TryGetValue(name, out var c))
        {
            return c;
        }
        throw new TrainingInputException($"node '{node.Name}' ({node.OpType}) reads '{name}', which nothing produces");
    }

    /// <summary>Converts an ONNX tensor to a TorchSharp tensor (float32 or int64; other integer types widen).</summary>
    public static Tensor ToTensor(TensorProto t)
    {
        var dims = t.Dims.ToArray();
        return EdgeCompress.Data.DataSpec.IsFloat(TensorData.TypeOf(t))
            ? tensor(TensorData.ToFloats(t), dims)
            : tensor(TensorData.ToInt64s(t), dims);
    }

    /// <summary>
    /// Which initializers training may change: weights and biases of Conv/Gemm/MatMul, BatchNorm scale and shift,
    /// PRelu slopes, and an Add constant right after a MatMul (a Linear bias as exporters write it). Everything
    /// else (normalisation constants, shapes, running statistics) stays as the pass wrote it.
    /// </summary>
    private static HashSet<string> TrainableInitializers(GraphProto graph)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        var producers = graph.Node.SelectMany(n => n.Output.Select(o => (o, n))).ToDictionary(x => x.o, x => x.n, StringComparer.Ordinal);
        foreach (var n in graph.Node)
        {
            switch (n.OpType)
            {
                case "Conv" or "Gemm":
                    set.UnionWith(n.Input.Skip(1));
                    break;
                case "MatMul":
                    set.UnionWith(n.Input);
                    break;
                case "BatchNormalization":
                    set.UnionWith(n.Input.Skip(1).Take(2));
                    break;
                case "PRelu":
                    set.Add(n.Input[1]);
                    break;
                case "Add" when n.Input.Any(i => producers.TryGetValue(i, out var p) && p.OpType == "MatMul"):
                    set.UnionWith(n.Input);
                    break;
            }
        }
        return set;
    }
}
