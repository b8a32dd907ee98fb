using EdgeCompress.Protocol;

namespace EdgeCompress.Fleet;

/// <summary>Progress of one device's part of a push or bench, for the live display.</summary>
/// <param name="Device">Device name.</param>
/// <param name="Phase">uploading, queued, idle-power, init, warmup, measure, done.</param>
/// <param name="Done">Units done (bytes for uploading, inferences otherwise).</param>
/// <param name="Total">Units planned, when known.</param>
public sealed record DeviceProgress(string Device, string Phase, long Done, long? Total);

/// <summary>
/// Benchmarks a model through one daemon: makes sure the bytes are there (pushing only when no stored version has
/// the same SHA-256), queues the job, follows its server-sent events (falling back to polling when the stream breaks)
/// and returns the record for the results database.
/// </summary>
public static class RemoteBench
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Runs the benchmark; a <see cref="FleetException"/> when the device fails or the job fails.</summary>
    public static async Task<BenchRecord> RunAsync(EdgedClient client, ModelFile model, string name, BenchSettings settings,
        IProgress<DeviceProgress>? progress, Action<string>? notice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(settings);
        var device = client.Device.Name;
        var info = await client.DeviceAsync(cancellationToken).ConfigureAwait(false);
        var sent = progress is null ? null : new SyncProgress<long>(bytes => progress.Report(new DeviceProgress(device, "uploading", bytes, model.Length)));
        var stored = await ModelPusher.EnsureAsync(client, model, name, sent, notice, null, cancellationToken).ConfigureAwait(false);
        if (settings.InputSet is { } set && await client.InputSetAsync(set.Sha256, cancellationToken).ConfigureAwait(false) is null)
        {
            progress?.Report(new DeviceProgress(device, "inputs", 0, set.Bytes.Length));
            await client.UploadInputSetAsync(set.Bytes, set.Sha256, cancellationToken).ConfigureAwait(false);
        }

        var request = settings.ToRequest(stored.Name, stored.Version.Version);
        var accepted = await client.SubmitBenchmarkAsync(request, cancellationToken).ConfigureAwait(false);
        progress?.Report(new DeviceProgress(device, "queued", accepted.QueuePosition, null));
        var status = await FollowAsync(client, accepted.Id, progress, notice, cancellationToken).ConfigureAwait(false);
        if (status.Status != BenchmarkStates.Completed || status.Result is null)
        {
            throw new FleetException(FleetProblem.Remote, $"{device}: benchmark {accepted.Id} of {stored.Name} failed: {status.Error ?? status.Status}");
        }

        var outputs = settings.InputSet is null ? null
            : await client.OutputsAsync(accepted.Id, status.Result.OutputBytes ?? 0, cancellationToken).ConfigureAwait(false);
        progress?.Report(new DeviceProgress(device, "done", status.Result.Count, status.Result.Count));
        return new BenchRecord
        {
            TimeUtc = status.FinishedUtc ?? DateTimeOffset.UtcNow,
            Device = device,
            DeviceUrl = client.BaseUri.ToString().TrimEnd('/'),
            Profile = info.Profile,
            Hostname = info.Hostname,
            Architecture = info.Architecture,
            CpuModel = info.CpuModel,
            EdgedVersion = info.EdgedVersion,
            ModelFile = model.Path,
            ModelName = stored.Name,
            ModelVersion = stored.Version.Version,
            ModelSha256 = model.Sha256,
            ModelBytes = model.Length,
            Threads = settings.Threads,
            Warmup = settings.Warmup,
            Iterations = settings.Iterations,
            DurationSeconds = settings.DurationSeconds,
            Power = settings.Power,
            JobId = accepted.Id,
            Result = status.Result,
            DeviceOutputs = outputs,
        };
    }

    /// <summary>Follows a job to its end: events while the stream lasts, then the job's status (polled if needed).</summary>
    public static async Task<BenchmarkStatus> FollowAsync(EdgedClient client, string id, IProgress<DeviceProgress>? progress, Action<string>? notice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            // The daemon sends a keep-alive comment every 15 s; silence well beyond that means a dead link.
            var idle = TimeSpan.FromSeconds(15) + client.RequestTimeout;
            await foreach (var item in client.EventsAsync(id, idle, cancellationToken).ConfigureAwait(false))
            {
                if (item.Phase is { } phase)
                {
                    progress?.Report(new DeviceProgress(client.Device.Name, phase, item.Done ?? 0, item.Total));
                }
            }
        }
        catch (FleetException ex) when (ex.Problem is FleetProblem.Unreachable or FleetProblem.Remote)
        {
            notice?.Invoke($"{client.Device.Name}: progress stream ended ({ex.Message}); polling the job instead");
        }

        while (true)
        {
            var status = await client.BenchmarkAsync(id, cancellationToken).ConfigureAwait(false);
            if (BenchmarkStates.IsFinal(status.Status))
            {
                return status;
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }
}
