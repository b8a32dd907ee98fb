using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using EdgeCompress.Runtime;

namespace EdgeCompress.Compression.Pruning;

/// <summary>
/// The shape of every value in a graph, observed by running ONNX Runtime once on one synthetic sample (batch 1)
/// with every intermediate exposed. Pruning needs spatial sizes (Flatten into Gemm) and the cost report needs
/// output sizes; observing them avoids a second shape-inference implementation.
/// </summary>
internal sealed class ObservedShapes
{
    private readonly Dictionary<string, long[]> _dims;

    private ObservedShapes(Dictionary<string, long[]> dims, IReadOnlyList<RunOutput> outputs)
    {
        _dims = dims;
        Outputs = outputs;
    }

    /// <summary>The model's own outputs on the probe sample, for comparing shapes after pruning.</summary>
    public IReadOnlyList<RunOutput> Outputs { get; }

    public long[]? Dims(string value) => _dims.GetValueOrDefault(value);

    /// <summary>Runs the model once. Throws <see cref="ModelRunException"/> when ONNX Runtime cannot run it.</summary>
    public static ObservedShapes Observe(OnnxModel model, string label)
    {
        var graph = model.Graph;
        var modelOutputs = graph.Proto.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var extra = graph.Nodes.Where(n => n.OpType != "Constant")
            .SelectMany(n => n.Output)
            .Where(o => o.Length > 0 && !modelOutputs.Contains(o))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        // Exposing every value keeps ORT from fusing them away, which is what we want for observing.
        using var runner = ModelRunner.Create(model, label, new RunnerOptions { ExtraOutputs = extra, Optimization = Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_DISABLE_ALL });
        var sample = DataSpec.Parse("synthetic:1").Open(runner.Inputs, 1).First();
        var results = runner.Run(sample);
        var dims = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var r in results)
        {
            dims[r.Name] = r.Dims;
        }
        foreach (var t in sample.Inputs)
        {
            if (t.Name is not null)
            {
                dims[t.Name] = t.Dims;
            }
        }
        var store = new ParamStore(graph);
        foreach (var n in graph.Nodes)
        {
            foreach (var i in n.Input)
            {
                if (store.Find(i) is { } c)
                {
                    dims[i] = c.Dims.ToArray();
                }
            }
        }
        return new ObservedShapes(dims, results.Where(r => modelOutputs.Contains(r.Name)).ToList());
    }

    /// <summary>Parameters (elements of float constants read by nodes) and multiply-accumulates of Conv, Gemm and
    /// MatMul layers for the probe sample (batch 1).</summary>
    public (long Params, long Macs) Cost(OnnxModel model)
    {
        var graph = model.Graph;
        var store = new ParamStore(graph);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long parameters = 0;
        long macs = 0;
        foreach (var n in graph.Nodes)
        {
            foreach (var i in n.Input)
            {
                if (seen.Add(i) && store.Find(i) is { } t && DataSpec.IsFloat(TensorData.TypeOf(t)))
                {
                    parameters += TensorData.ElementCount(t);
                }
            }
            macs += LayerMacs(n, store);
        }
        return (parameters, macs);
    }

    /// <summary>Multiply-accumulates of one node for the probe sample (0 for non-matrix operators).</summary>
    public long LayerMacs(NodeProto n, ParamStore store)
    {
        var output = n.Output.Count > 0 ? Dims(n.Output[0]) : null;
        if (output is null || output.Length == 0)
        {
            return 0;
        }
        var outCount = output.Skip(1).Aggregate(1L, (a, b) => a * b);
        switch (n.OpType)
        {
            case "Conv" when store.Find(n.Input[1]) is { } w:
                // Weight [Cout, Cin/group, k...]: each output element reads Cin/group * prod(k) inputs.
                return outCount * w.Dims.Skip(1).Aggregate(1L, (a, b) => a * b);
            case "ConvTranspose" when store.Find(n.Input[1]) is { } w && Dims(n.Input[0]) is { Length: > 0 } x:
                // Weight [Cin, Cout/group, k...]: each input element is spread over Cout/group * prod(k) outputs.
                return x.Skip(1).Aggregate(1L, (a, b) => a * b) * w.Dims.Skip(1).Aggregate(1L, (a, b) => a * b);
            // Gemm and MatMul rows are often tokens ([T, D], [T, B, D]) or heads ([H, T, T]), not a batch: every output
            // element counts (the probe runs batch 1).
            case "Gemm" when Dims(n.Input[0]) is { Length: 2 } a:
                return output.Aggregate(1L, (p, d) => p * d) * (n.GetInt("transA", 0) == 1 ? a[0] : a[1]);
            case "MatMul" when Dims(n.Input[0]) is { Length: > 0 } a:
                return output.Aggregate(1L, (p, d) => p * d) * a[^1];
            default:
                return 0;
        }
    }
}
