namespace EdgeCompress.Training;

/// <summary>Why a training job failed.</summary>
public enum TrainingErrorKind
{
    /// <summary>Bad input: a model with an unsupported operator, missing data, an invalid option.</summary>
    Input,

    /// <summary>The worker or its runtime is missing or cannot start (fix with eng/bootstrap.sh or a build).</summary>
    Setup,

    /// <summary>A failure inside the worker that is not the input's fault.</summary>
    Fault,
}

/// <summary>A training job failed; the message is one line naming the file, node or option at fault.</summary>
public sealed class TrainingException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingException(TrainingErrorKind kind, string message) : base(message) => Kind = kind;

    /// <summary>Creates the exception with no detail (exception pattern).</summary>
    public TrainingException() { }

    /// <summary>Creates the exception (exception pattern); the kind is Fault.</summary>
    public TrainingException(string message) : base(message) => Kind = TrainingErrorKind.Fault;

    /// <summary>Creates the exception with its cause (exception pattern); the kind is Fault.</summary>
    public TrainingException(string message, Exception inner) : base(message, inner) => Kind = TrainingErrorKind.Fault;

    /// <summary>What went wrong.</summary>
    public TrainingErrorKind Kind { get; }
}
