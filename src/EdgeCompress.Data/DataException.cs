namespace EdgeCompress.Data;

/// <summary>A data set or data SPEC that cannot be used: missing files, bad format, shapes that do not fit the
/// model. The message is one line for the user and names the file or spec.</summary>
public sealed class DataException : EdgeCompress.Onnx.InputException
{
    /// <summary>Creates the exception with a one-line message.</summary>
    public DataException(string message) : base(message) { }

    /// <summary>Creates the exception with a one-line message and its cause.</summary>
    public DataException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception with no message (required by the exception pattern).</summary>
    public DataException() { }
}
