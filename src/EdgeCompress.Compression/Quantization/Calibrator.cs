using System.Globalization;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using EdgeCompress.Runtime;
using EdgeCompress.Calibration;

namespace EdgeCompress.Compression.Quantization;

/// <summary>What calibration saw: one streaming histogram per float tensor, and how many samples went through.</summary>
public sealed class CalibrationResult
{
    internal CalibrationResult(Dictionary<string, TensorHistogram> histograms, int samples)
    {
        Histograms = histograms;
        Samples = samples;
    }

    /// <summary>Histograms by tensor name (float tensors only).</summary>
    public IReadOnlyDictionary<string, TensorHistogram> Histograms { get; }

    /// <summary>Samples (batch rows) that were run.</summary>
    public int Samples { get; }

    /// <summary>The range of every calibrated tensor under a method.</summary>
    public Dictionary<string, FloatRange> Ranges(CalibrationMethod method, double percentile) =>
        Histograms.ToDictionary(kv => kv.Key, kv => kv.Value.RangeFor(method, percentile), StringComparer.Ordinal);
}

/// <summary>
/// Streams samples through ONNX Runtime with the wanted intermediate tensors exposed as outputs and folds every
/// value into per-tensor histograms; no tensor is kept after its batch, so memory does not grow with the data.
/// What one run exposes is bounded too: tensors are sized first (<see cref="ActivationSizes"/>), the batch shrinks
/// and, when a graph's intermediates for one sample exceed the bound, they are split into groups, one pass over the
/// data per group (more passes over fewer outputs), as ONNX Runtime's own tool does for large models.
/// </summary>
public static class Calibrator
{
    /// <summary>
    /// The default bound on the bytes of exposed tensors one run holds: a 16th of the memory .NET sees (physical, or
    /// the container's limit), between 512 MiB and 2 GiB. Measured on a 1024x1024 DeepLabV3-ResNet50 (5.2 GB of
    /// intermediates per sample; 2 vCPUs, 24 GB, 4 samples): 2 GiB, 3 passes, 57 s, peak 3.96 GB; 1.5 GiB (the
    /// default here), 4 passes, 61 s, 2.65 GB; 1 GiB, 6 passes, 79 s, 2.37 GB. A pass runs only the nodes its
    /// tensors depend on, so more passes cost less than whole runs each.
    /// </summary>
    public static long DefaultMemoryBound =>
        Math.Clamp(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 16, 512L << 20, 2048L << 20);

    /// <summary>Runs the samples and returns the histograms of the float tensors among <paramref name="tensors"/>.</summary>
    /// <exception cref="DataException">The data does not fit the model (shape or type), or no sample came.</exception>
    public static CalibrationResult Collect(OnnxModel model, IEnumerable<string> tensors, DataSpec data, int batchSize = 32,
        IProgress<string>? progress = null, long? memoryBound = null, CancellationToken cancellationToken = default)
    {
        var bound = memoryBound ?? DefaultMemoryBound;
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(bound, 1);
        var wanted = tensors.Distinct(StringComparer.Ordinal).ToList();
        List<string> floats;
        IReadOnlyList<InputSpec> inputs;
        using (var all = ModelRunner.Create(model, "calibration model", new RunnerOptions { ExtraOutputs = wanted, Threads = 0 }))
        {
            // Creating the session allocates no activations; it only says each output's type and the inputs.
            floats = wanted.Where(n => all.OutputTypes.TryGetValue(n, out var t) && t == TensorProto.Types.DataType.Float).ToList();
            // In graph order, so that each pass's group is a contiguous stretch of the network.
            var position = GraphOrder(model);
            floats = [.. floats.OrderBy(n => position.GetValueOrDefault(n, -1))];
            inputs = all.Inputs;
        }
        var first = Guard(data, () => data.Open(inputs, 1).FirstOrDefault())
            ?? throw new DataException($"calibration data '{data.Text}' gave no samples");
        var sizes = Guard(data, () => ActivationSizes.Measure(model, floats, first, cancellationToken));
        var plan = Plan(floats, sizes, batchSize, bound);
        if (plan.Groups.Count > 1 || plan.Batch < batchSize)
        {
            progress?.Report(string.Create(CultureInfo.InvariantCulture,
                $"calibrating {floats.Count} tensors ({Mib(sizes.Total)} MiB per sample) in {plan.Groups.Count} pass(es) over the data, batch {plan.Batch}: at most {Mib(bound)} MiB of them held per run"));
        }
        var histograms = floats.ToDictionary(n => n, _ => new TensorHistogram(), StringComparer.Ordinal);
        var rows = 0;
        // Reported every 500 samples, or every 10 s when runs are slow (a 1024x1024 model takes seconds a sample).
        var sinceReport = System.Diagnostics.Stopwatch.StartNew();
        for (var g = 0; g < plan.Groups.Count; g++)
        {
            if (g > 0)
            {
                CollectPassGarbage(plan.Groups.Count);
            }
            using var runner = ModelRunner.Create(model, "calibration model", new RunnerOptions
            {
                ExtraOutputs = plan.Groups[g], Threads = 0,
                // Several passes: each runs only the nodes its tensors depend on (the first pass the first layers).
                OnlyExtraOutputs = plan.Groups.Count > 1,
                // ONNX Runtime's memory pattern allocates one block for a run's intermediates from the second run on,
                // beside the chunks the first run left in its arena: DeepLabV3 at 1024x1024 peaked at 3.3-4.3 GB with
                // it and 2.4 GB without, and ran no slower (79 s against 84 s for 4 samples, 6 passes).
                MemoryPattern = false,
            });
            // A graph output comes back from every pass; only this pass's group is folded in, so nothing counts twice.
            var mine = plan.Groups[g].ToDictionary(n => n, n => histograms[n], StringComparer.Ordinal);
            var passRows = 0;
            var nextReport = 0;
            foreach (var sample in data.Open(runner.Inputs, plan.Batch))
            {
                cancellationToken.ThrowIfCancellationRequested();
                Guard(data, () =>
                {
                    runner.Visit(sample, (name, values) =>
                    {
                        if (mine.TryGetValue(name, out var h))
                        {
                            h.Add(values);
                        }
                    });
                    return true;
                });
                passRows += (int)(sample.Inputs[0].Dims.Length > 0 ? sample.Inputs[0].Dims[0] : 1);
                if (passRows >= nextReport || sinceReport.Elapsed.TotalSeconds >= 10)
                {
                    sinceReport.Restart();
                    progress?.Report(plan.Groups.Count == 1
                        ? $"calibrating: {passRows} samples"
                        : string.Create(CultureInfo.InvariantCulture, $"calibrating: pass {g + 1}/{plan.Groups.Count}, {passRows} samples"));
                    nextReport = passRows + 500;
                }
            }
            rows = g == 0 ? passRows : rows;
        }
        CollectPassGarbage(plan.Groups.Count);
        if (rows == 0)
        {
            throw new DataException($"calibration data '{data.Text}' gave no samples");
        }
        return new CalibrationResult(histograms, rows);
    }

    /// <summary>A batch size and groups of tensors such that batch x (a group's bytes per sample) stays within the bound;
    /// a tensor larger than the bound on its own gets a group of its own at batch 1.</summary>
    internal static (int Batch, IReadOnlyList<string[]> Groups) Plan(IReadOnlyList<string> tensors, ActivationSizes sizes, int batchSize, long memoryBound)
    {
        var total = Math.Max(sizes.Total, 1);
        var batch = (int)Math.Clamp(memoryBound / total, 1, Math.Max(batchSize, 1));
        var capacity = memoryBound / batch;
        var groups = new List<string[]>();
        var current = new List<string>();
        long used = 0;
        foreach (var name in tensors)
        {
            var bytes = sizes.BytesPerSample(name);
            if (current.Count > 0 && used + bytes > capacity)
            {
                groups.Add([.. current]);
                current.Clear();
                used = 0;
            }
            current.Add(name);
            used += bytes;
        }
        if (current.Count > 0 || groups.Count == 0)
        {
            groups.Add([.. current]);
        }
        return (batch, groups);
    }

    /// <summary>Each pass leaves a model copy and its serialised bytes on the large-object heap (300 MB for a 158 MB
    /// model); with several passes they are collected between passes, not left to pile up.</summary>
    private static void CollectPassGarbage(int passes)
    {
        if (passes > 1)
        {
            GC.Collect();
        }
    }

    /// <summary>Position of every tensor in the graph: inputs and initializers -1, then each node's outputs in node order.</summary>
    private static Dictionary<string, int> GraphOrder(OnnxModel model)
    {
        var order = new Dictionary<string, int>(StringComparer.Ordinal);
        var nodes = model.Proto.Graph.Node;
        for (var i = 0; i < nodes.Count; i++)
        {
            foreach (var o in nodes[i].Output)
            {
                order.TryAdd(o, i);
            }
        }
        return order;
    }

    private static T Guard<T>(DataSpec data, Func<T> run)
    {
        try
        {
            return run();
        }
        catch (ModelRunException e)
        {
            throw new DataException($"calibration data '{data.Text}' does not fit the model: {e.Message}", e);
        }
    }

    private static long Mib(long bytes) => (bytes + (1L << 19)) >> 20;
}
