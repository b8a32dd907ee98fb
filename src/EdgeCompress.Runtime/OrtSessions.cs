using Microsoft.ML.OnnxRuntime;

namespace EdgeCompress.Runtime;

/// <summary>How a session is made: the settings every measurement and every pass that runs a model shares.</summary>
public sealed record SessionSettings
{
    /// <summary>Intra-op threads; 0 means every processor this process may use. (ONNX Runtime's own default counts
    /// physical cores and, on a 2-vCPU VM, ran DeepLabV3 at 1024x1024 on one: 7.8 s a sample against 4.6 s with 2.)</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Inter-op threads; above 1 the session runs independent branches in parallel.</summary>
    public int InterOpThreads { get; init; } = 1;

    /// <summary>Graph optimisation level ONNX Runtime applies at load.</summary>
    public GraphOptimizationLevel Optimization { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>Let ONNX Runtime plan one block for a run's intermediates from the first run (its memory pattern).</summary>
    public bool MemoryPattern { get; init; } = true;

    /// <summary>Settings for reading a model's signature or checking that it loads: one thread, no optimisation.</summary>
    public static SessionSettings Inspect { get; } = new() { Optimization = GraphOptimizationLevel.ORT_DISABLE_ALL };
}

/// <summary>
/// The one place that creates ONNX Runtime sessions, and the one choke point for its native failures: every error
/// becomes a <see cref="ModelRunException"/> whose single line names the model (label) and what was being done.
/// eval, optimize, the passes, local bench and edged all open models here, so the same settings mean the same session.
/// </summary>
public static class OrtSessions
{
    /// <summary>Opens a model file.</summary>
    public static InferenceSession Open(string path, SessionSettings settings, string label)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var options = Options(settings);
        return Guard(label, "ONNX Runtime cannot load the model", () => new InferenceSession(path, options));
    }

    /// <summary>Opens a serialized model held in memory.</summary>
    public static InferenceSession Open(byte[] model, SessionSettings settings, string label)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var options = Options(settings);
        return Guard(label, "ONNX Runtime cannot load the model", () => new InferenceSession(model, options));
    }

    /// <summary>Runs <paramref name="session"/> once; an ONNX Runtime failure becomes a <see cref="ModelRunException"/>
    /// naming <paramref name="label"/>. The caller disposes the outputs.</summary>
    public static IDisposableReadOnlyCollection<OrtValue> Run(InferenceSession session, RunOptions runOptions, IReadOnlyCollection<string> inputNames,
        IReadOnlyCollection<OrtValue> inputs, IReadOnlyCollection<string> outputNames, string label)
    {
        ArgumentNullException.ThrowIfNull(session);
        return Guard(label, "ONNX Runtime failed to run the model", () => session.Run(runOptions, inputNames, inputs, outputNames));
    }

    /// <summary>Runs <paramref name="action"/>, turning an ONNX Runtime error into a <see cref="ModelRunException"/>
    /// "<paramref name="label"/>: <paramref name="doing"/>: ORT's first line".</summary>
    public static T Guard<T>(string label, string doing, Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            return action();
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelRunException($"{label}: {doing}: {FirstLine(ex.Message)}", ex);
        }
    }

    // ONNX Runtime copies the options into the session it creates, so they are released right after.
    private static SessionOptions Options(SessionSettings settings) => new()
    {
        IntraOpNumThreads = settings.Threads > 0 ? settings.Threads : Environment.ProcessorCount,
        InterOpNumThreads = Math.Max(1, settings.InterOpThreads),
        GraphOptimizationLevel = settings.Optimization,
        ExecutionMode = settings.InterOpThreads > 1 ? ExecutionMode.ORT_PARALLEL : ExecutionMode.ORT_SEQUENTIAL,
        EnableMemoryPattern = settings.MemoryPattern,
        // ORT's warnings (legacy opsets, optimizer notes) are not the user's business; errors surface as exceptions.
        LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL,
    };

    private static string FirstLine(string message)
    {
        var text = message.Trim();
        var newline = text.IndexOfAny(['\r', '\n']);
        return newline < 0 ? text : text[..newline].Trim();
    }
}
