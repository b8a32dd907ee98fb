namespace EdgeCompress.Training.Worker;

/// <summary>
/// The run finished (or stopped) but its model is not fit to keep: the loss went non-finite, a weight is NaN, or the
/// model agrees with its reference less than before training. Reported as a failed check (exit 1), and no model is
/// written.
/// </summary>
internal sealed class TrainingFailedException : Exception
{
    public TrainingFailedException(string message) : base(message) { }

    public TrainingFailedException(string message, Exception inner) : base(message, inner) { }

    public TrainingFailedException() { }
}
