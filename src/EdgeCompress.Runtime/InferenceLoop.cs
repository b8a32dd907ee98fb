using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCompress.Runtime;

/// <summary>
/// The one timed inference every latency figure comes from (eval --bench, optimize, the int8 speed check, local bench
/// and edged): inputs bound once before timing (one set, or several used in turn), outputs allocated by ONNX Runtime
/// and released after the clock stops, as onnxruntime_perf_test times a run. Does not own the session; owns the inputs
/// only when made with <c>ownsInputs</c>.
/// </summary>
public sealed class InferenceLoop : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly IReadOnlyList<IReadOnlyCollection<OrtValue>> _inputs;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly string _model;
    private readonly bool _ownsInputs;
    private int _next;

    /// <summary>A loop over <paramref name="inputs"/>, each set in the session's input order.</summary>
    public InferenceLoop(InferenceSession session, IReadOnlyList<IReadOnlyCollection<OrtValue>> inputs, string model, bool ownsInputs = false)
        : this(session, inputs, [.. session?.InputMetadata.Keys ?? []], model, ownsInputs)
    {
    }

    /// <summary>A loop over <paramref name="inputs"/> fed to the inputs named <paramref name="inputNames"/>, in that order.</summary>
    public InferenceLoop(InferenceSession session, IReadOnlyList<IReadOnlyCollection<OrtValue>> inputs, string[] inputNames, string model, bool ownsInputs = false)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0)
        {
            throw new ArgumentException("an inference loop needs at least one input set", nameof(inputs));
        }
        _session = session;
        _inputs = inputs;
        _inputNames = inputNames;
        _outputNames = [.. session.OutputMetadata.Keys];
        _model = model;
        _ownsInputs = ownsInputs;
    }

    /// <summary>Runs the next input set once; returns the latency in milliseconds.</summary>
    public double RunOnce()
    {
        var inputs = _inputs[_next];
        _next = (_next + 1) % _inputs.Count;
        var start = Stopwatch.GetTimestamp();
        var outputs = OrtSessions.Run(_session, _runOptions, _inputNames, inputs, _outputNames, _model);
        var elapsed = Stopwatch.GetElapsedTime(start);
        outputs.Dispose();
        return elapsed.TotalMilliseconds;
    }

    /// <summary>Runs every input set once, untimed, and keeps the outputs in <paramref name="keep"/>.</summary>
    public void RunKeepingOutputs(SampleInputs keep, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keep);
        foreach (var inputs in _inputs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var outputs = OrtSessions.Run(_session, _runOptions, _inputNames, inputs, _outputNames, _model);
            keep.Keep(_outputNames, outputs.ToList(), _model);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _runOptions.Dispose();
        if (_ownsInputs)
        {
            foreach (var set in _inputs)
            {
                foreach (var value in set)
                {
                    value.Dispose();
                }
            }
        }
    }
}
