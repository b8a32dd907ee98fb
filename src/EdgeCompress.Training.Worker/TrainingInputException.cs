namespace EdgeCompress.Training.Worker;

/// <summary>Bad input to the worker (unsupported operator, unreadable model or data): reported to the client as a
/// one-line input error, never as a crash.</summary>
internal sealed class TrainingInputException : Exception
{
    public TrainingInputException(string message) : base(message) { }

    public TrainingInputException(string message, Exception inner) : base(message, inner) { }

    public TrainingInputException() { }
}
