using EdgeCompress.Runtime;
using EdgeCompress.Sensors;

namespace EdgeCompress.Fleet;

/// <summary>`bench --device local`: the daemon's own <see cref="BenchmarkEngine"/> run in this process, no daemon involved.</summary>
public static class LocalBench
{
    /// <summary>The pseudo-device name of the in-process engine.</summary>
    public const string DeviceName = "local";

    /// <summary>Benchmarks <paramref name="model"/> here under <paramref name="name"/>; bad models and requests are usage problems.</summary>
    public static async Task<BenchRecord> RunAsync(ModelFile model, string name, BenchSettings settings, IProgress<DeviceProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(settings);
        var request = settings.ToRequest(name, null);
        var paths = new SensorPaths();
        IPowerSensor? sensor = null;
        string? reason = "power measurement not requested";
        if (settings.Power)
        {
            sensor = SensorDiscovery.FindPower(new PowerSensorSettings { Power = "auto" }, paths, new ProcessCommandRunner(), out reason);
        }

        try
        {
            var environment = new BenchmarkEnvironment { PowerSensor = sensor, PowerUnavailableReason = reason, Thermal = new ThermalZones(paths) };
            var engineProgress = progress is null ? null : new SyncProgress<BenchmarkProgress>(p => progress.Report(new DeviceProgress(DeviceName, p.Phase, p.Done, p.Total)));
            var samples = settings.InputSet is { } set ? new SampleInputs(set.Samples, long.MaxValue) : null;
            var result = await Task.Run(() => BenchmarkEngine.Run(model.Path, name, request, environment, engineProgress, cancellationToken, samples), cancellationToken).ConfigureAwait(false);
            result.InputSet = settings.InputSet?.Sha256;
            return new BenchRecord
            {
                TimeUtc = DateTimeOffset.UtcNow,
                Device = DeviceName,
                Hostname = Environment.MachineName,
                Architecture = HostArchitecture.Uname, // as the daemon reports it, so local rows group with device rows
                ModelFile = model.Path,
                ModelName = name,
                ModelSha256 = model.Sha256,
                ModelBytes = model.Length,
                Threads = settings.Threads,
                Warmup = settings.Warmup,
                Iterations = settings.Iterations,
                DurationSeconds = settings.DurationSeconds,
                Power = settings.Power,
                Result = result,
                DeviceOutputs = samples?.Outputs,
            };
        }
        catch (Exception ex) when (ex is BenchmarkException or ModelRunException)
        {
            throw new FleetException($"local benchmark of {model.Path}: {ex.Message.ReplaceLineEndings(" ")}", ex);
        }
        finally
        {
            (sensor as IDisposable)?.Dispose();
        }
    }
}
