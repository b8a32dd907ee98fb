namespace EdgeCompress.Fleet;

/// <summary>What kind of problem a <see cref="FleetException"/> reports; commands map every kind to exit code 2
/// for a single device and to a failed row in a fleet summary.</summary>
public enum FleetProblem
{
    /// <summary>Bad input: unknown device, unreadable file, malformed inventory.</summary>
    Usage,

    /// <summary>No connection, or no answer within the timeout.</summary>
    Unreachable,

    /// <summary>The daemon rejected the bearer token (401).</summary>
    Unauthorized,

    /// <summary>The daemon's TLS certificate is not the pinned one.</summary>
    FingerprintMismatch,

    /// <summary>The daemon answered with an error (4xx/5xx other than 401) or the job failed.</summary>
    Remote,

    /// <summary>The per-device deadline passed.</summary>
    Deadline,
}

/// <summary>A problem talking to a device or with the user's input. The message is one line a user can act on,
/// naming the device, URL or file; it never contains a token.</summary>
public sealed class FleetException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FleetException(FleetProblem problem, string message, Exception? inner = null) : base(message, inner) => Problem = problem;

    /// <summary>Creates a usage problem (required by the exception pattern).</summary>
    public FleetException() : this(FleetProblem.Usage, "fleet operation failed") { }

    /// <summary>Creates a usage problem with a message.</summary>
    public FleetException(string message) : this(FleetProblem.Usage, message) { }

    /// <summary>Creates a usage problem with a message and cause.</summary>
    public FleetException(string message, Exception inner) : this(FleetProblem.Usage, message, inner) { }

    /// <summary>The kind of problem.</summary>
    public FleetProblem Problem { get; }
}
