using EdgeCompress.Onnx.Protos;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCompress.Onnx.Tests.Conformance;

/// <summary>
/// One pass over every backend test model: load, validate, infer shapes, count costs, save, reload, compare;
/// then run the re-saved file in ONNX Runtime on the stored inputs and compare with the stored outputs, and
/// compare inferred output shapes with the shapes ORT produced. Run once and shared by the assertions.
/// </summary>
public sealed class ConformanceRun
{
    private static readonly HashSet<string> RandomOps = new(StringComparer.Ordinal)
    {
        "Bernoulli", "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial",
    };

    public int Models { get; private set; }
    public int Loaded { get; private set; }
    public int RoundTripped { get; private set; }
    public int Runnable { get; private set; }
    public int Matched { get; private set; }
    public int RandomOutputs { get; private set; }
    public int OrtDeviations { get; private set; }
    public List<string> OrtDeviationModels { get; } = [];
    public int NodeOutputs { get; private set; }
    public int NodeOutputsFullyKnown { get; private set; }
    public int ExternalChecked { get; private set; }
    public int ExternalAgreed { get; private set; }
    public List<string> ExternalProblems { get; } = [];
    public int ShapesChecked { get; private set; }
    public int ShapesAgreed { get; private set; }
    public List<string> Failures { get; } = [];
    public List<string> Mismatches { get; } = [];
    public List<string> ShapeDisagreements { get; } = [];
    public List<string> ValidationErrors { get; } = [];
    public TimeSpan Elapsed { get; private set; }

    public static ConformanceRun Execute()
    {
        var run = new ConformanceRun();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var temp = Directory.CreateTempSubdirectory("edgec-conformance-");
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, IntraOpNumThreads = 1 };
        try
        {
            foreach (var dir in TestModels.Cases())
            {
                run.One(dir, temp.FullName, options);
            }
        }
        finally
        {
            temp.Delete(recursive: true);
        }
        run.Elapsed = clock.Elapsed;
        return run;
    }

    private void One(string dir, string temp, SessionOptions options)
    {
        Models++;
        var name = $"{Path.GetFileName(Path.GetDirectoryName(dir))}/{Path.GetFileName(dir)}";
        OnnxModel model;
        try
        {
            model = OnnxModel.Load(Path.Combine(dir, "model.onnx"));
            Loaded++;
        }
        catch (OnnxFormatException e)
        {
            Failures.Add($"{name}: load: {e.Message}");
            return;
        }
        ValidationErrors.AddRange(ModelValidator.Validate(model).Where(f => f.Severity == FindingSeverity.Error).Select(f => $"{name}: {f}"));
        var shapes = ShapeInference.Infer(model);
        CostModel.Compute(model, shapes);
        foreach (var output in ModelWalker.GraphAndSubgraphs(model.Graph.Proto).SelectMany(g => g.Node).SelectMany(n => n.Output).Where(o => o.Length > 0))
        {
            NodeOutputs++;
            NodeOutputsFullyKnown += shapes.TypeOf(output)?.IsFullyKnown == true ? 1 : 0;
        }

        var saved = Path.Combine(temp, name.Replace('/', '_') + ".onnx");
        model.Save(saved);
        var reloaded = OnnxModel.Load(saved);
        if (reloaded.Proto.Equals(model.Proto) && File.ReadAllBytes(saved).AsSpan().SequenceEqual(model.ToBytes()))
        {
            RoundTripped++;
        }
        else
        {
            Failures.Add($"{name}: reloaded model differs from the loaded one");
        }
        RunInOrt(name, dir, saved, model, shapes, options);
        File.Delete(saved);
    }

    private void RunInOrt(string name, string dir, string saved, OnnxModel model, ShapeInferenceResult shapes, SessionOptions options)
    {
        var graph = model.Graph;
        var inputs = graph.RealInputs.ToArray();
        if (inputs.Concat(graph.Proto.Output).Any(v => v.Type?.TensorType is null))
        {
            return; // sequences, maps, optionals: the stored .pb files are not TensorProtos
        }
        InferenceSession session;
        try
        {
            session = new InferenceSession(saved, options);
        }
        catch (OnnxRuntimeException)
        {
            return; // an operator or opset this ORT build does not implement
        }
        using (session)
        {
            var sets = Directory.EnumerateDirectories(dir, "test_data_set_*").Order(StringComparer.Ordinal).ToArray();
            var diffs = RunSets(name, sets, session, inputs, graph.Proto.Output, shapes);
            if (diffs is null)
            {
                return;
            }
            Runnable++;
            if (graph.Nodes.Any(n => RandomOps.Contains(n.OpType) || (n.OpType == "Dropout" && n.Input.Count > 2 && n.Input[2].Length > 0)))
            {
                RandomOutputs++;
            }
            else if (diffs.Count == 0)
            {
                Matched++;
                CheckExternalData(name, saved, model, sets, inputs, options);
            }
            else
            {
                // Tell our save apart from ORT's own deviations from the reference: run the untouched original.
                using var original = new InferenceSession(Path.Combine(dir, "model.onnx"), options);
                var originalDiffs = RunSets(name, sets, original, inputs, graph.Proto.Output, null);
                if (originalDiffs is not null && originalDiffs.SequenceEqual(diffs))
                {
                    OrtDeviations++;
                    OrtDeviationModels.Add($"{name}: {diffs[0]}");
                }
                else
                {
                    Mismatches.AddRange(diffs);
                }
            }
        }
    }

    /// <summary>Saves the model with every non-empty tensor in an external data file, reloads it, and runs it in
    /// ORT from that file: it must load equal and reproduce the stored outputs exactly as the inline file did.</summary>
    private void CheckExternalData(string name, string saved, OnnxModel model, string[] sets, ValueInfoProto[] inputs, SessionOptions options)
    {
        if (!ModelWalker.Graphs(model.Proto).SelectMany(g => g.Initializer).Any(t => TensorData.ByteSize(t) > 0 && TensorData.TypeOf(t) != TensorProto.Types.DataType.String))
        {
            return;
        }
        ExternalChecked++;
        var external = Path.ChangeExtension(saved, ".external.onnx");
        try
        {
            model.Save(external, new OnnxSaveOptions { ExternalDataThresholdBytes = 1 });
            if (!OnnxModel.Load(external).Proto.Equals(AsRawData(model.Proto)))
            {
                ExternalProblems.Add($"{name}: reloaded external-data model differs");
                return;
            }
            using var session = new InferenceSession(external, options);
            var diffs = RunSets(name, sets, session, inputs, model.Graph.Proto.Output, null);
            if (diffs is { Count: 0 })
            {
                ExternalAgreed++;
            }
            else
            {
                ExternalProblems.Add($"{name}: external-data copy {(diffs is null ? "did not run" : diffs[0])}");
            }
        }
        catch (OnnxRuntimeException e)
        {
            ExternalProblems.Add($"{name}: ORT refused the external-data copy: {e.Message.Split('\n')[0]}");
        }
        finally
        {
            File.Delete(external);
            File.Delete(external + ".data");
        }
    }

    /// <summary>The model with typed-field tensors rewritten as raw_data: external data files hold raw bytes, so
    /// that is how such tensors come back.</summary>
    private static ModelProto AsRawData(ModelProto model)
    {
        var copy = model.Clone();
        foreach (var tensor in ModelWalker.Graphs(copy).SelectMany(g => g.Initializer))
        {
            if (tensor.HasRawData || TensorData.ByteSize(tensor) == 0 || TensorData.TypeOf(tensor) == TensorProto.Types.DataType.String)
            {
                continue;
            }
            tensor.RawData = Google.Protobuf.ByteString.CopyFrom(TensorData.GetRawBytes(tensor));
            tensor.FloatData.Clear();
            tensor.Int32Data.Clear();
            tensor.Int64Data.Clear();
            tensor.DoubleData.Clear();
            tensor.Uint64Data.Clear();
        }
        return copy;
    }

    /// <summary>The differences from the stored outputs over all data sets, or null when ORT cannot run one.</summary>
    private List<string>? RunSets(string name, string[] sets, InferenceSession session, ValueInfoProto[] inputs,
        IList<ValueInfoProto> outputs, ShapeInferenceResult? shapes)
    {
        var diffs = new List<string>();
        foreach (var set in sets)
        {
            if (!RunSet(name, set, session, inputs, outputs, shapes, diffs))
            {
                return null;
            }
        }
        return sets.Length == 0 ? null : diffs;
    }

    /// <summary>False when ORT could not run the set; differences from the stored outputs go to <paramref name="diffs"/>.</summary>
    private bool RunSet(string name, string set, InferenceSession session, ValueInfoProto[] inputs,
        IList<ValueInfoProto> outputs, ShapeInferenceResult? shapes, List<string> diffs)
    {
        var inputFiles = Directory.GetFiles(set, "input_*.pb").OrderBy(f => Index(f)).ToArray();
        var outputFiles = Directory.GetFiles(set, "output_*.pb").OrderBy(f => Index(f)).ToArray();
        var values = new List<OrtValue>();
        try
        {
            var names = new List<string>();
            for (var i = 0; i < inputFiles.Length && i < inputs.Length; i++)
            {
                var t = TensorProto.Parser.ParseFrom(File.ReadAllBytes(inputFiles[i]));
                names.Add(inputs[i].Name);
                values.Add(OrtTensors.ToOrtValue(t));
            }
            var outNames = outputs.Take(outputFiles.Length).Select(o => o.Name).ToArray();
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, names, values, outNames);
            for (var k = 0; k < outNames.Length; k++)
            {
                var expected = TensorProto.Parser.ParseFrom(File.ReadAllBytes(outputFiles[k]));
                var diff = OrtTensors.Compare(expected, results[k]);
                if (diff is not null)
                {
                    diffs.Add($"{name}/{Path.GetFileName(set)} output '{outNames[k]}': {diff}");
                }
                if (shapes is not null)
                {
                    CheckShape(name, outNames[k], shapes, results[k].GetTensorTypeAndShape().Shape);
                }
            }
            return true;
        }
        catch (OnnxRuntimeException)
        {
            return false;
        }
        finally
        {
            values.ForEach(v => v.Dispose());
        }
    }

    private void CheckShape(string name, string output, ShapeInferenceResult shapes, long[] actual)
    {
        var inferred = shapes.TypeOf(output);
        if (inferred?.Dims is null || !inferred.Dims.All(d => d.IsKnown))
        {
            return;
        }
        ShapesChecked++;
        if (inferred.KnownDims()!.SequenceEqual(actual))
        {
            ShapesAgreed++;
        }
        else
        {
            ShapeDisagreements.Add($"{name} output '{output}': inferred {inferred.ShapeText()}, ORT gave {string.Join("x", actual)}");
        }
    }

    private static int Index(string file)
    {
        var stem = Path.GetFileNameWithoutExtension(file);
        return int.Parse(stem[(stem.IndexOf('_') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
