using Microsoft.ML.OnnxRuntime;

namespace EdgeCompress.Runtime;

/// <summary>A benchmark or model check that cannot proceed, with a message fit for a user (the model is named).</summary>
public sealed class BenchmarkException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BenchmarkException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    public BenchmarkException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public BenchmarkException(string message)
        : base(message)
    {
    }

    /// <summary>
    /// The one choke point for native failures: runs <paramref name="action"/> and turns an ONNX Runtime error into a
    /// <see cref="BenchmarkException"/> naming <paramref name="model"/> and what was being done.
    /// </summary>
    public static T Guard<T>(string model, string doing, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (OnnxRuntimeException ex)
        {
            throw new BenchmarkException($"{model}: {doing} failed: {FirstLine(ex.Message)}", ex);
        }
    }

    private static string FirstLine(string message)
    {
        var text = message.Trim();
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        return newline < 0 ? text : text[..newline].Trim();
    }
}
