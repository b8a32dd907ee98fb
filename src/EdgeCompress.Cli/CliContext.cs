namespace EdgeCompress.Cli;

/// <summary>Where a command writes, and whether colour/progress output is wanted. Injected so tests can run
/// commands in process and read what a user would see.</summary>
public sealed class CliContext
{
    /// <summary>Creates a context over the given writers, in <paramref name="environment"/> (default: this process's).</summary>
    public CliContext(TextWriter output, TextWriter error, EdgecEnvironment? environment = null)
    {
        Out = output;
        Error = error;
        Env = environment ?? EdgecEnvironment.FromProcess();
        Interactive = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        NoColor = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
    }

    /// <summary>Paths, profile store and host facts the verbs use.</summary>
    public EdgecEnvironment Env { get; }

    /// <summary>Standard output: results, tables, JSON.</summary>
    public TextWriter Out { get; }

    /// <summary>Standard error: warnings, progress and error lines.</summary>
    public TextWriter Error { get; }

    /// <summary>True when writing to a real terminal (live progress bars make sense).</summary>
    public bool Interactive { get; }

    /// <summary>True when NO_COLOR is set: plain text only.</summary>
    public bool NoColor { get; }

    /// <summary>Writes a warning line to standard error.</summary>
    public void Warn(string message) => Error.WriteLine($"warning: {message}");
}

/// <summary>Bad input or usage: the command prints the message as one line and exits with code 2.</summary>
public sealed class UsageException : EdgeCompress.Onnx.InputException
{
    /// <summary>Creates the exception with a one-line message naming the file or option at fault.</summary>
    public UsageException(string message) : base(message) { }

    /// <summary>Creates the exception with a one-line message and its cause.</summary>
    public UsageException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception with no message (required by the exception pattern).</summary>
    public UsageException() { }
}
