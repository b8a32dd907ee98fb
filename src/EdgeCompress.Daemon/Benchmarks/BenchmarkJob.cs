using EdgeCompress.Protocol;

namespace EdgeCompress.Daemon.Benchmarks;

/// <summary>
/// One benchmark job: its status (the persisted record) and its event log. Readers of the event stream replay the
/// log from any position and then wait for the next change, so a late subscriber misses nothing.
/// </summary>
public sealed class BenchmarkJob
{
    private readonly Lock _gate = new();
    private readonly List<BenchmarkEvent> _events = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates a job around its status record.</summary>
    public BenchmarkJob(BenchmarkStatus status) => Status = status;

    /// <summary>The job's status. Mutated only through <see cref="Update"/>.</summary>
    public BenchmarkStatus Status { get; }

    /// <summary>The job id.</summary>
    public string Id => Status.Id;

    /// <summary>Changes the status under the job's lock and returns a consistent copy for persisting.</summary>
    public BenchmarkStatus Update(Action<BenchmarkStatus> change)
    {
        lock (_gate)
        {
            change(Status);
            return Snapshot();
        }
    }

    /// <summary>A copy of the status safe to serialise while the job runs.</summary>
    public BenchmarkStatus Snapshot()
    {
        lock (_gate)
        {
            return new BenchmarkStatus
            {
                Id = Status.Id,
                Status = Status.Status,
                Request = Status.Request,
                ModelVersion = Status.ModelVersion,
                CreatedUtc = Status.CreatedUtc,
                StartedUtc = Status.StartedUtc,
                FinishedUtc = Status.FinishedUtc,
                Error = Status.Error,
                Result = Status.Result,
            };
        }
    }

    /// <summary>Appends an event and wakes the readers.</summary>
    public void Publish(string kind, string? phase = null, int? done = null, int? total = null, string? message = null)
    {
        TaskCompletionSource wake;
        lock (_gate)
        {
            _events.Add(new BenchmarkEvent
            {
                Id = Id,
                Sequence = _events.Count,
                Kind = kind,
                Phase = phase,
                Done = done,
                Total = total,
                Message = message,
                TimestampUtc = DateTimeOffset.UtcNow,
            });
            wake = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        wake.TrySetResult();
    }

    /// <summary>Events from <paramref name="from"/> on, whether the job has ended, and a task that completes on the next event.</summary>
    public (IReadOnlyList<BenchmarkEvent> Events, bool Final, Task Next) Read(int from)
    {
        lock (_gate)
        {
            return (_events.Skip(from).ToArray(), BenchmarkStates.IsFinal(Status.Status), _changed.Task);
        }
    }
}
