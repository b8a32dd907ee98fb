namespace EdgeCompress.Training.Worker;

/// <summary>Quantisation-aware training (fake-quantised weights and activations, QDQ export).</summary>
internal sealed class QatJob(WorkerRequest request, EventSink events, CancellationToken cancel)
{
    public TrainingResult Run() => throw new TrainingInputException($"qat is not available yet (request for {request.ModelPath}, {events}, {cancel.IsCancellationRequested})");
}
