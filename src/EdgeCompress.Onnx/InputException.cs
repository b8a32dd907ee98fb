namespace EdgeCompress.Onnx;

/// <summary>
/// The typed input error of the libraries edgec is built on: what the user gave (a file, a data spec, an option, a
/// node name, an input shape) cannot be used. The message is one line naming the file, option or node at fault; edgec
/// prints it and exits 2. Anything else a library throws is a fault (a bug), not bad input: ArgumentException in
/// particular is reserved for programming errors.
/// </summary>
public class InputException : Exception
{
    /// <summary>Creates the exception with a one-line, user-facing message.</summary>
    public InputException(string message) : base(message) { }

    /// <summary>Creates the exception with a one-line, user-facing message and its cause.</summary>
    public InputException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception with no message (required by the exception pattern).</summary>
    public InputException() { }
}
