namespace EdgeCompress.Runtime;

/// <summary>ONNX Runtime refused or failed a model: the message names the model and, where ORT says, the node.</summary>
public sealed class ModelRunException : Exception
{
    /// <summary>Creates the exception with a one-line message.</summary>
    public ModelRunException(string message) : base(message) { }

    /// <summary>Creates the exception with a one-line message and the ORT error.</summary>
    public ModelRunException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception with no message (required by the exception pattern).</summary>
    public ModelRunException() { }
}
