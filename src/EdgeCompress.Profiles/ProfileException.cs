namespace EdgeCompress.Profiles;

/// <summary>A profile that cannot be used: unknown id, unreadable file, wrong field type or invalid value. The
/// message is one line naming the file and field.</summary>
public sealed class ProfileException : Exception
{
    /// <summary>Creates the exception with a one-line message.</summary>
    public ProfileException(string message) : base(message) { }

    /// <summary>Creates the exception with a one-line message and its cause.</summary>
    public ProfileException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception with no message (required by the exception pattern).</summary>
    public ProfileException() { }
}
