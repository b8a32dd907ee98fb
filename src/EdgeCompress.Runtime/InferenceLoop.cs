using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCompress.Runtime;

/// <summary>
/// One timed inference, shaped like a bare ONNX Runtime loop: the same prepared inputs every time, outputs allocated
/// by ONNX Runtime and released after the clock stops. Does not own the session or inputs.
/// </summary>
internal sealed class InferenceLoop
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions;
    private readonly IReadOnlyCollection<OrtValue> _inputs;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly string _model;

    public InferenceLoop(InferenceSession session, RunOptions runOptions, IReadOnlyCollection<OrtValue> inputs, string model)
    {
        _session = session;
        _runOptions = runOptions;
        _inputs = inputs;
        _inputNames = [.. session.InputMetadata.Keys];
        _outputNames = [.. session.OutputMetadata.Keys];
        _model = model;
    }

    /// <summary>Runs once; returns the latency in milliseconds.</summary>
    public double RunOnce()
    {
        var start = Stopwatch.GetTimestamp();
        var outputs = BenchmarkException.Guard(_model, "running inference", () => _session.Run(_runOptions, _inputNames, _inputs, _outputNames));
        var elapsed = Stopwatch.GetElapsedTime(start);
        outputs.Dispose();
        return elapsed.TotalMilliseconds;
    }
}
