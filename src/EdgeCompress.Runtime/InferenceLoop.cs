using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCompress.Runtime;

/// <summary>
/// One timed inference, shaped like a bare ONNX Runtime loop: prepared inputs (one set, or several used in turn),
/// outputs allocated by ONNX Runtime and released after the clock stops. Does not own the session or inputs.
/// </summary>
internal sealed class InferenceLoop
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions;
    private readonly IReadOnlyList<IReadOnlyCollection<OrtValue>> _inputs;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly string _model;
    private int _next;

    public InferenceLoop(InferenceSession session, RunOptions runOptions, IReadOnlyList<IReadOnlyCollection<OrtValue>> inputs, string model)
    {
        _session = session;
        _runOptions = runOptions;
        _inputs = inputs;
        _inputNames = [.. session.InputMetadata.Keys];
        _outputNames = [.. session.OutputMetadata.Keys];
        _model = model;
    }

    /// <summary>Runs the next input set once; returns the latency in milliseconds.</summary>
    public double RunOnce()
    {
        var inputs = _inputs[_next];
        _next = (_next + 1) % _inputs.Count;
        var start = Stopwatch.GetTimestamp();
        var outputs = BenchmarkException.Guard(_model, "running inference", () => _session.Run(_runOptions, _inputNames, inputs, _outputNames));
        var elapsed = Stopwatch.GetElapsedTime(start);
        outputs.Dispose();
        return elapsed.TotalMilliseconds;
    }

    /// <summary>Runs every input set once, untimed, and keeps the outputs in <paramref name="keep"/>.</summary>
    public void RunKeepingOutputs(SampleInputs keep, CancellationToken cancellationToken)
    {
        foreach (var inputs in _inputs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var outputs = BenchmarkException.Guard(_model, "running inference", () => _session.Run(_runOptions, _inputNames, inputs, _outputNames));
            keep.Keep(_outputNames, outputs.ToList(), _model);
        }
    }
}
