namespace EdgeCompress.Onnx;

/// <summary>
/// Thrown when a file or stream is not a usable ONNX model: the message is one line meant for the user and names
/// the file, and where known the tensor, node or field at fault.
/// </summary>
public sealed class OnnxFormatException : InputException
{
    /// <summary>Creates the exception with a one-line, user-facing message.</summary>
    public OnnxFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a one-line, user-facing message and the low-level cause.</summary>
    public OnnxFormatException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception with no message (required by the exception pattern).</summary>
    public OnnxFormatException() { }
}
