using System.Collections.Concurrent;
using System.Threading.Channels;
using EdgeCompress.Daemon.Api;
using EdgeCompress.Daemon.Hosting;
using EdgeCompress.Daemon.Store;
using EdgeCompress.Protocol;
using EdgeCompress.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeCompress.Daemon.Benchmarks;

/// <summary>
/// Runs benchmarks one at a time (two at once would measure each other) on a dedicated thread, in submission order.
/// Every state change is persisted; on stop the running job is cancelled and recorded as failed, and jobs still
/// waiting are re-queued when edged starts again.
/// </summary>
public sealed class BenchmarkScheduler : BackgroundService
{
    private const int JobsKeptInMemory = 1000;
    private readonly Channel<BenchmarkJob> _channel = Channel.CreateUnbounded<BenchmarkJob>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, BenchmarkJob> _jobs = new(StringComparer.Ordinal);
    private readonly ModelStore _models;
    private readonly ResultsStore _results;
    private readonly SensorHub _sensors;
    private readonly InputBudget _budget;
    private readonly InputSetStore _inputSets;
    private readonly Metrics _metrics;
    private readonly EdgedOptions _options;
    private readonly ILogger<BenchmarkScheduler> _logger;
    private int _waiting;

    /// <summary>Creates the queue.</summary>
    public BenchmarkScheduler(ModelStore models, ResultsStore results, SensorHub sensors, InputBudget budget, InputSetStore inputSets, Metrics metrics, IOptions<EdgedOptions> options, ILogger<BenchmarkScheduler> logger)
    {
        _budget = budget;
        _inputSets = inputSets;
        _models = models;
        _results = results;
        _sensors = sensors;
        _metrics = metrics;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>Jobs waiting to run.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Loads persisted jobs: finished ones are kept for GET, interrupted ones are failed, waiting ones re-queued.</summary>
    public void Restore()
    {
        var requeued = 0;
        foreach (var record in _results.Open().TakeLast(JobsKeptInMemory))
        {
            var job = new BenchmarkJob(HidePaths(record));
            _jobs[record.Id] = job;
            if (record.Status == BenchmarkStates.Running)
            {
                _results.Append(job.Update(s =>
                {
                    s.Status = BenchmarkStates.Failed;
                    s.Error = "edged stopped while this benchmark was running";
                    s.FinishedUtc = DateTimeOffset.UtcNow;
                }));
            }
            else if (record.Status == BenchmarkStates.Queued)
            {
                Interlocked.Increment(ref _waiting);
                if (record.ModelVersion is { } pinned)
                {
                    _models.Pin(pinned);
                }

                job.Publish(BenchmarkStates.Queued);
                _channel.Writer.TryWrite(job);
                requeued++;
            }
        }

        if (requeued > 0)
        {
            Log.BenchmarksRequeued(_logger, requeued);
        }
    }

    /// <summary>Queues a validated request for a resolved model; null when the queue is full.</summary>
    public BenchmarkJob? Submit(BenchmarkRequest request, ModelVersionInfo model, out int ahead)
    {
        ahead = Interlocked.Increment(ref _waiting) - 1;
        if (ahead >= _options.MaxQueuedBenchmarks)
        {
            Interlocked.Decrement(ref _waiting);
            return null;
        }

        request.ModelVersion = model.Version;
        var job = new BenchmarkJob(new BenchmarkStatus
        {
            Id = Guid.NewGuid().ToString("N")[..16],
            Status = BenchmarkStates.Queued,
            Request = request,
            ModelVersion = model,
            CreatedUtc = DateTimeOffset.UtcNow,
        });
        _models.Pin(model);
        _results.Append(job.Snapshot());
        _jobs[job.Id] = job;
        TrimMemory();
        job.Publish(BenchmarkStates.Queued, message: $"{ahead} ahead");
        _channel.Writer.TryWrite(job);
        Log.BenchmarkSchedulerd(_logger, job.Id, model.Name, ahead);
        return job;
    }

    /// <summary>The job with this id, or null.</summary>
    public BenchmarkJob? Find(string id) =>
        _jobs.TryGetValue(id, out var job) ? job
        : _results.FindArchived(id) is { } archived ? new BenchmarkJob(HidePaths(archived))
        : null;

    /// <summary>The most recent jobs, newest first.</summary>
    public IReadOnlyList<BenchmarkStatus> Recent(int count) =>
        _jobs.Values.Select(j => j.Snapshot()).OrderByDescending(s => s.CreatedUtc).Take(count).ToArray();

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var job in _channel.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                Interlocked.Decrement(ref _waiting);
                await Task.Factory.StartNew(() => Run(job, stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)
                    .ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: waiting jobs stay "queued" in the results file and run after the next start.
        }
    }

    private void Run(BenchmarkJob job, CancellationToken stoppingToken)
    {
        try
        {
            RunPinned(job, stoppingToken);
        }
        finally
        {
            if (job.Status.ModelVersion is { } pinned)
            {
                _models.Unpin(pinned);
            }
        }
    }

    private void RunPinned(BenchmarkJob job, CancellationToken stoppingToken)
    {
        var request = job.Status.Request;
        var resolved = _models.Resolve(request.Model, request.ModelVersion);
        if (resolved is null)
        {
            Finish(job, null, $"model {request.Model} v{request.ModelVersion} was deleted before the benchmark ran");
            return;
        }

        // Again here: a job re-queued from an earlier run, or from a daemon with a larger limit, was never sized by this one.
        if (request.InputSet is null && _budget.Check(request, resolved.Value.Info, resolved.Value.Path) is { } tooBig)
        {
            Finish(job, null, tooBig);
            return;
        }

        SampleInputs? samples = null;
        if (request.InputSet is { } set)
        {
            try
            {
                samples = _inputSets.Load(set) is { } loaded ? new SampleInputs(loaded, _budget.MaxBytes) : null;
            }
            catch (InvalidDataException ex)
            {
                Finish(job, null, $"input set {set} is damaged on this device ({ex.Message}); upload it again");
                return;
            }

            if (samples is null)
            {
                Finish(job, null, $"input set {set} was removed from this device before the benchmark ran; upload it again");
                return;
            }

            _inputSets.Touch(set);
        }

        _results.Append(job.Update(s =>
        {
            s.Status = BenchmarkStates.Running;
            s.StartedUtc = DateTimeOffset.UtcNow;
        }));
        job.Publish(BenchmarkStates.Running);
        _metrics.BenchmarkStarted();
        try
        {
            var progress = new JobProgress(job);
            var result = BenchmarkEngine.Run(resolved.Value.Path, request.Model, request, _sensors.Environment, progress, stoppingToken, samples);
            if (samples is not null)
            {
                result.InputSet = request.InputSet;
                result.OutputBytes = _inputSets.SaveOutputs(job.Id, samples.Outputs);
            }

            Finish(job, result, null);
        }
        catch (Exception ex) when (ex is BenchmarkException or ModelRunException)
        {
            Finish(job, null, ex.Message);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            Finish(job, null, "cancelled because edged is stopping");
        }
#pragma warning disable CA1031 // one faulty job must be recorded as failed, not take the queue (and the daemon) down
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Finish(job, null, $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>Ends a job. The log gets <paramref name="error"/> in full; the record, which clients read, names the model instead of its file.</summary>
    private void Finish(BenchmarkJob job, BenchmarkResult? result, string? error)
    {
        var shown = error is null ? null : ServerPaths.Hide(error, _models.Root, job.Status.Request.Model);
        var final = job.Update(s =>
        {
            s.Status = result is null ? BenchmarkStates.Failed : BenchmarkStates.Completed;
            s.Result = result;
            s.Error = shown;
            s.FinishedUtc = DateTimeOffset.UtcNow;
        });
        _results.Append(final);
        _metrics.BenchmarkFinished(final);
        if (result is not null)
        {
            Log.BenchmarkCompleted(_logger, job.Id, result.P50Ms, result.P99Ms, result.Count);
            job.Publish(BenchmarkStates.Completed);
        }
        else
        {
            Log.BenchmarkFailed(_logger, job.Id, error ?? "unknown");
            job.Publish(BenchmarkStates.Failed, message: shown);
        }
    }

    /// <summary>Records written before errors were scrubbed may still name a store file.</summary>
    private BenchmarkStatus HidePaths(BenchmarkStatus record)
    {
        if (record.Error is { } error)
        {
            record.Error = ServerPaths.Hide(error, _models.Root, record.Request.Model);
        }

        return record;
    }

    private void TrimMemory()
    {
        if (_jobs.Count <= JobsKeptInMemory)
        {
            return;
        }

        foreach (var old in _jobs.Values.Where(j => BenchmarkStates.IsFinal(j.Status.Status)).OrderBy(j => j.Status.CreatedUtc).Take(_jobs.Count - JobsKeptInMemory))
        {
            _jobs.TryRemove(old.Id, out _);
        }
    }

    private sealed class JobProgress(BenchmarkJob job) : IProgress<BenchmarkProgress>
    {
        public void Report(BenchmarkProgress value) => job.Publish("progress", value.Phase, value.Done, value.Total);
    }
}
