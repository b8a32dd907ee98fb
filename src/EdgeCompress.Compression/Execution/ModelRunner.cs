using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using EdgeCompress.Runtime;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeCompress.Compression.Execution;

/// <summary>One output of a run: its name, shape and values widened to float.</summary>
public sealed record RunOutput(string Name, long[] Dims, float[] Values);

/// <summary>Receives one float output of a run, valid only during the call.</summary>
public delegate void FloatOutputVisitor(string name, ReadOnlySpan<float> values);

/// <summary>Options for creating an ONNX Runtime session.</summary>
public sealed class RunnerOptions
{
    /// <summary>Intra-op threads; 0 means every processor this process may use (see <see cref="SessionSettings.Threads"/>).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Graph optimisation level ONNX Runtime applies at load.</summary>
    public GraphOptimizationLevel Optimization { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>Extra values (intermediate tensors) to expose as outputs, e.g. for calibration.</summary>
    public IReadOnlyList<string> ExtraOutputs { get; init; } = [];

    /// <summary>Return <see cref="ExtraOutputs"/> only, not the model's outputs, and run only the nodes they depend on:
    /// a calibration pass over the first layers of a large model then costs a fraction of a whole run.</summary>
    public bool OnlyExtraOutputs { get; init; }

    /// <summary>Let ONNX Runtime plan one block for a run's intermediates from the first run (its memory pattern).</summary>
    public bool MemoryPattern { get; init; } = true;
}

/// <summary>
/// Owns one ONNX Runtime session over a model and runs <see cref="Sample"/>s through it. Every ORT failure is turned
/// into a <see cref="ModelRunException"/> naming the model (<see cref="OrtSessions"/>). Dispose to free the native session.
/// </summary>
public sealed class ModelRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string[] _outputNames;

    private ModelRunner(InferenceSession session, string label, string[] outputNames, IReadOnlyDictionary<string, long> indexBounds)
    {
        _session = session;
        Label = label;
        _outputNames = outputNames;
        Inputs = session.InputMetadata
            .Select(kv => new InputSpec(kv.Key, ToOnnxType(kv.Value.ElementDataType), kv.Value.Dimensions.Select(d => (long)d).ToArray())
            {
                IndexBound = ModelInputs.Bound(indexBounds, kv.Key),
            })
            .ToArray();
        OutputTypes = session.OutputMetadata
            .Where(kv => kv.Value.IsTensor)
            .ToDictionary(kv => kv.Key, kv => ToOnnxType(kv.Value.ElementDataType), StringComparer.Ordinal);
    }

    /// <summary>Element type of every tensor output (extra outputs included), as ONNX Runtime inferred it.
    /// Runs widen values to float; this says what they really are (e.g. to calibrate float tensors only).</summary>
    public IReadOnlyDictionary<string, TensorProto.Types.DataType> OutputTypes { get; }

    /// <summary>How messages name the model.</summary>
    public string Label { get; }

    /// <summary>The model's inputs (dims -1 where dynamic).</summary>
    public IReadOnlyList<InputSpec> Inputs { get; }

    /// <summary>Names of the outputs each run returns (model outputs, then the extra outputs asked for).</summary>
    public IReadOnlyList<string> OutputNames => _outputNames;

    /// <summary>Creates a session over an in-memory model. Extra outputs are added to a copy of the graph.</summary>
    public static ModelRunner Create(OnnxModel model, string label, RunnerOptions? options = null)
    {
        options ??= new RunnerOptions();
        var proto = model.Proto;
        if (options.OnlyExtraOutputs)
        {
            proto = Upstream(model, options.ExtraOutputs);
        }
        else if (options.ExtraOutputs.Count > 0)
        {
            proto = proto.Clone();
            var existing = proto.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var name in options.ExtraOutputs.Where(n => !existing.Contains(n)))
            {
                proto.Graph.Output.Add(new ValueInfoProto { Name = name });
            }
        }
        var outputs = proto.Graph.Output.Select(o => o.Name).ToArray();
        return Create(Google.Protobuf.MessageExtensions.ToByteArray(proto), label, options, outputs, ModelInputs.IndexBounds(model));
    }

    /// <summary>A copy of the model whose outputs are <paramref name="outputs"/> and whose graph holds only the nodes
    /// and initializers they depend on (names a node's subgraphs read from the outer scope count as its inputs).</summary>
    internal static ModelProto Upstream(OnnxModel model, IReadOnlyList<string> outputs)
    {
        var graph = model.Proto.Graph;
        var keep = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var needed = new HashSet<string>(StringComparer.Ordinal);
        var work = new Stack<string>(outputs);
        while (work.Count > 0)
        {
            var name = work.Pop();
            if (!needed.Add(name) || model.Graph.Producer(name) is not { } node || !keep.Add(node))
            {
                continue;
            }
            foreach (var input in node.Input.Where(i => i.Length > 0).Concat(OnnxGraph.OuterScopeInputs(node)))
            {
                work.Push(input);
            }
        }
        // Built field by field: ModelProto's copy constructor would deep-copy every weight only to drop most of them.
        var copy = new ModelProto
        {
            IrVersion = model.Proto.IrVersion, ProducerName = model.Proto.ProducerName, ProducerVersion = model.Proto.ProducerVersion,
            Domain = model.Proto.Domain, ModelVersion = model.Proto.ModelVersion, Graph = new GraphProto(),
        };
        copy.OpsetImport.Add(model.Proto.OpsetImport.Select(o => o.Clone()));
        copy.Functions.Add(model.Proto.Functions.Select(f => f.Clone()));
        var g = copy.Graph;
        g.Name = graph.Name;
        g.Input.Add(graph.Input.Select(v => v.Clone()));
        g.Node.Add(graph.Node.Where(keep.Contains).Select(n => n.Clone()));
        g.Initializer.Add(graph.Initializer.Where(t => needed.Contains(t.Name)).Select(t => t.Clone()));
        g.SparseInitializer.Add(graph.SparseInitializer.Where(t => needed.Contains(t.Values.Name)).Select(t => t.Clone()));
        g.ValueInfo.Add(graph.ValueInfo.Where(v => needed.Contains(v.Name)).Select(v => v.Clone()));
        var declared = graph.Output.Concat(graph.ValueInfo).GroupBy(v => v.Name).ToDictionary(v => v.Key, v => v.First(), StringComparer.Ordinal);
        foreach (var name in outputs.Distinct(StringComparer.Ordinal))
        {
            g.Output.Add(declared.TryGetValue(name, out var info) && info.Type is not null ? info.Clone() : new ValueInfoProto { Name = name });
        }
        return copy;
    }

    /// <summary>Creates a session over a model file.</summary>
    public static ModelRunner Create(string path, RunnerOptions? options = null)
    {
        var model = OnnxModel.Load(path);
        return Create(model, Path.GetFileName(path), options);
    }

    private static ModelRunner Create(byte[] bytes, string label, RunnerOptions options, string[] outputs, IReadOnlyDictionary<string, long> indexBounds)
    {
        var settings = new SessionSettings { Threads = options.Threads, Optimization = options.Optimization, MemoryPattern = options.MemoryPattern };
        return new ModelRunner(OrtSessions.Open(bytes, settings, label), label, outputs, indexBounds);
    }

    /// <summary>
    /// Binds <paramref name="sample"/> as this session's inputs once, for timing: the loop runs the session exactly as
    /// edged and local bench do (<see cref="InferenceLoop"/>), so a p50 means the same wherever it is measured. Dispose
    /// the loop before the runner.
    /// </summary>
    public InferenceLoop Bind(Sample sample)
    {
        var (names, values) = Feed(sample);
        return new InferenceLoop(_session, [values], [.. names], Label, ownsInputs: true);
    }

    /// <summary>Runs one sample (or batch) and returns every output widened to float.</summary>
    public IReadOnlyList<RunOutput> Run(Sample sample)
    {
        var outputs = new List<RunOutput>(_outputNames.Length);
        RunRaw(sample, results =>
        {
            for (var i = 0; i < results.Count; i++)
            {
                outputs.Add(ToOutput(_outputNames[i], results[i]));
            }
        });
        return outputs;
    }

    /// <summary>Runs one sample (or batch) and drops the outputs where ONNX Runtime returns them: what latency timing
    /// measures (the run, as onnxruntime_perf_test and edged time it), without copying outputs into managed arrays
    /// (a 1024x1024 segmentation output is 88 MB a run).</summary>
    public void RunDiscardingOutputs(Sample sample) => RunRaw(sample, static _ => { });

    /// <summary>
    /// Runs one sample (or batch) and hands every float output to <paramref name="visit"/> while ONNX Runtime's buffer
    /// is alive, without copying it; outputs of other types are skipped. What streaming statistics (calibration) use,
    /// so a run's exposed tensors are held once, by ONNX Runtime, and only for the run.
    /// </summary>
    public void Visit(Sample sample, FloatOutputVisitor visit)
    {
        ArgumentNullException.ThrowIfNull(visit);
        RunRaw(sample, results =>
        {
            for (var i = 0; i < results.Count; i++)
            {
                if (results[i].IsTensor && results[i].GetTensorTypeAndShape().ElementDataType == TensorElementType.Float)
                {
                    visit(_outputNames[i], results[i].GetTensorDataAsSpan<float>());
                }
            }
        });
    }

    private void RunRaw(Sample sample, Action<IReadOnlyList<OrtValue>> use)
    {
        var (names, values) = Feed(sample);
        try
        {
            // Held in a local and disposed after the run: an inline `new RunOptions()` can be finalized by the GC while
            // the native Run is still reading it (seen as "Exiting due to terminate flag being set to true").
            using var runOptions = new RunOptions();
            using var results = OrtSessions.Run(_session, runOptions, names, values, _outputNames, Label);
            use(results);
        }
        finally
        {
            foreach (var v in values)
            {
                v.Dispose();
            }
        }
    }

    /// <summary>The sample's tensors as ONNX Runtime values for this session's inputs (by name, else by position).</summary>
    private (List<string> Names, List<OrtValue> Values) Feed(Sample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var names = new List<string>(sample.Inputs.Count);
        var values = new List<OrtValue>(sample.Inputs.Count);
        try
        {
            for (var i = 0; i < sample.Inputs.Count; i++)
            {
                var t = sample.Inputs[i];
                var spec = Inputs.FirstOrDefault(s => s.Name == t.Name) ?? Inputs[i];
                names.Add(spec.Name);
                values.Add(ToOrtValue(t, spec.ElementType));
            }
            return (names, values);
        }
        catch
        {
            values.ForEach(v => v.Dispose());
            throw;
        }
    }

    /// <summary>A sample tensor as ONNX Runtime takes it for an input of <paramref name="type"/>; the caller disposes it.</summary>
    public static OrtValue ToOrtValue(SampleTensor t, TensorProto.Types.DataType type)
    {
        ArgumentNullException.ThrowIfNull(t);
        var shape = t.Dims;
        switch (type)
        {
            case TensorProto.Types.DataType.Float:
                return OrtValue.CreateTensorValueFromMemory(t.Floats ?? Array.ConvertAll(t.Int64s!, v => (float)v), shape);
            case TensorProto.Types.DataType.Double:
                return OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(t.Floats ?? Array.ConvertAll(t.Int64s!, v => (float)v), v => (double)v), shape);
            case TensorProto.Types.DataType.Float16:
                return OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(t.Floats!, v => (Float16)v), shape);
            case TensorProto.Types.DataType.Int64:
                return OrtValue.CreateTensorValueFromMemory(t.Int64s ?? Array.ConvertAll(t.Floats!, v => (long)v), shape);
            case TensorProto.Types.DataType.Int32:
                return OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(t.Int64s ?? Array.ConvertAll(t.Floats!, v => (long)v), v => (int)v), shape);
            case TensorProto.Types.DataType.Bool:
                return OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(t.Int64s ?? Array.ConvertAll(t.Floats!, v => (long)v), v => v != 0), shape);
            case TensorProto.Types.DataType.Uint8:
                return OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(t.Int64s ?? Array.ConvertAll(t.Floats!, v => (long)v), v => (byte)v), shape);
            case TensorProto.Types.DataType.Int8:
                return OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(t.Int64s ?? Array.ConvertAll(t.Floats!, v => (long)v), v => (sbyte)v), shape);
            default:
                throw new ModelRunException($"input '{t.Name}': element type {DataTypes.Name(type)} is not supported for feeding");
        }
    }

    private static RunOutput ToOutput(string name, OrtValue value)
    {
        if (!value.IsTensor)
        {
            return new RunOutput(name, [], []);
        }
        return new RunOutput(name, value.GetTensorTypeAndShape().Shape, TensorFloats.Of(value) ?? []);
    }

    /// <summary>Maps ONNX Runtime's element type enum onto the ONNX one (they share numbering).</summary>
    public static TensorProto.Types.DataType ToOnnxType(TensorElementType t) => (TensorProto.Types.DataType)(int)t;

    /// <inheritdoc />
    public void Dispose()
    {
        _session.Dispose();
    }
}
