namespace EdgeCompress.Runtime;

/// <summary>A benchmark request that cannot proceed (its settings, or samples that do not fit the model), with a message fit for a user. ONNX Runtime failures are <see cref="ModelRunException"/>s.</summary>
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
}
