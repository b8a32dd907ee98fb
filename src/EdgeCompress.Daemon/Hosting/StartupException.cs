namespace EdgeCompress.Daemon.Hosting;

/// <summary>A problem that stops the daemon at start; its message is printed as one "edged: ..." line.</summary>
public sealed class StartupException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StartupException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    public StartupException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public StartupException(string message)
        : base(message)
    {
    }
}
