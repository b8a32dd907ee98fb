using EdgeCompress.Compression.Search;
using EdgeCompress.Fleet;
using EdgeCompress.Profiles;

namespace EdgeCompress.Cli.Commands;

/// <summary>
/// `edgec optimize --device NAME`: accuracy and fidelity on this host (they do not depend on the board), latency and
/// energy measured on the board by pushing each candidate to its edged and benchmarking it through the API. Every
/// measurement is appended to the results database, which is what later calibrates the profile's cost model.
/// </summary>
internal sealed class DeviceMeasurer : IVariantMeasurer
{
    private readonly LocalMeasurer _accuracy;
    private readonly DeviceEntry _device;
    private readonly BenchSettings _settings;
    private readonly TimeSpan _timeout;
    private readonly ResultsDatabase _database;

    public DeviceMeasurer(LocalMeasurer accuracy, DeviceEntry device, BenchSettings settings, TimeSpan timeout, ResultsDatabase database)
    {
        _accuracy = accuracy;
        _device = device;
        _settings = settings;
        _timeout = timeout;
        _database = database;
    }

    /// <summary>Certificate fingerprint the daemon presented, for pinning on first contact.</summary>
    public string? PresentedFingerprint { get; private set; }

    public async Task<VariantMeasurement> MeasureAsync(string modelPath, string baselinePath, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var m = await _accuracy.MeasureAsync(modelPath, baselinePath, progress, cancellationToken).ConfigureAwait(false);
        var file = ModelFile.Open(modelPath);
        using var client = new EdgedClient(_device, _timeout);
        BenchRecord record;
        try
        {
            var phases = progress is null ? null : new SyncProgress<DeviceProgress>(p =>
            {
                if (p.Phase is "uploading" or "measure" or "done" && (p.Total is null || p.Done == 0 || p.Done == p.Total))
                {
                    progress.Report($"{_device.Name}: {Path.GetFileName(modelPath)} {p.Phase}");
                }
            });
            record = await RemoteBench.RunAsync(client, file, $"opt-{file.DefaultName}", _settings, phases, n => progress?.Report($"{_device.Name}: {n}"), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (FleetException e)
        {
            throw new UsageException($"--device {_device.Name}: {e.Message}", e);
        }
        finally
        {
            PresentedFingerprint ??= client.PresentedFingerprint;
        }

        _database.Append([record]);
        var r = record.Result!;
        return m with
        {
            P50Ms = r.P50Ms,
            P90Ms = r.P90Ms,
            P99Ms = r.P99Ms,
            SamplesMs = r.PercentilesMs.Count > 0 ? r.PercentilesMs : null,
            LatencySource = "measured",
            LatencyWhere = _device.Name,
            EnergyPerInferenceMillijoules = r.Power.EnergyPerInferenceMillijoules,
            Notes = _settings.Power && !r.Power.Available ? [$"{Reporting.HtmlReport.EnergyNotMeasuredNote}{r.Power.Unavailable ?? "no power sensor"}"] : null,
        };
    }

    /// <summary>
    /// The cost-model calibration for a profile from what the results database recorded on its devices with the
    /// thread count the estimate assumes; null when nothing usable was recorded.
    /// </summary>
    public static CostModelCalibration? CalibrationFor(DeviceProfile profile, ResultsDatabase database)
    {
        var threads = Math.Max(1, Math.Min(profile.Runtime.IntraOpThreads, profile.Cpu.Cores));
        var records = database.ReadAll().Select(run => run.Record)
            .Where(r => r.Profile == profile.Id && r.Threads == threads && r.Result is not null && r.Device != LocalBench.DeviceName)
            .Where(r => File.Exists(r.ModelFile) && ModelFile.Open(r.ModelFile).Sha256 == r.ModelSha256)
            .Select(r => (r.ModelFile, r.Result!.P50Ms));
        return CostModelCalibration.From(profile, records);
    }
}
