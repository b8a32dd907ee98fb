using EdgeCompress.Protocol;

namespace EdgeCompress.Fleet;

/// <summary>One row of `edgec devices list`: the registry entry (no token) and what a probe found.</summary>
public sealed class DeviceReport
{
    /// <summary>Device name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Daemon URL.</summary>
    public string Url { get; set; } = "";

    /// <summary>Groups.</summary>
    public List<string> Groups { get; set; } = [];

    /// <summary>Token file path (the token itself is never shown).</summary>
    public string TokenFile { get; set; } = "";

    /// <summary>Pinned certificate fingerprint.</summary>
    public string? FingerprintSha256 { get; set; }

    /// <summary>True when the daemon answered /v1/device with the token within the timeout.</summary>
    public bool Reachable { get; set; }

    /// <summary>Why not, when not.</summary>
    public string? Error { get; set; }

    /// <summary>Round trip of the device request, milliseconds.</summary>
    public double? LatencyMs { get; set; }

    /// <summary>What the daemon said about itself.</summary>
    public DeviceInfo? Device { get; set; }
}

/// <summary>One device's outcome in a push or bench --json output.</summary>
public sealed class FleetOutcomeReport
{
    /// <summary>Device name.</summary>
    public string Device { get; set; } = "";

    /// <summary>True when it succeeded.</summary>
    public bool Ok { get; set; }

    /// <summary>Why it failed.</summary>
    public string? Error { get; set; }

    /// <summary>Problem kind (unreachable, unauthorized, fingerprintMismatch, remote, deadline, usage).</summary>
    public string? Problem { get; set; }

    /// <summary>Seconds this device took.</summary>
    public double ElapsedSeconds { get; set; }

    /// <summary>Push: the stored model name.</summary>
    public string? ModelName { get; set; }

    /// <summary>Push: the stored version.</summary>
    public int? ModelVersion { get; set; }

    /// <summary>Push: false when the device already had the bytes.</summary>
    public bool? Uploaded { get; set; }

    /// <summary>Bench: the record appended to the results database.</summary>
    public BenchRecord? Record { get; set; }

    /// <summary>The report for an outcome, with the work's details filled in by <paramref name="fill"/>.</summary>
    public static FleetOutcomeReport From<T>(FleetOutcome<T> outcome, Action<FleetOutcomeReport, T>? fill)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var report = new FleetOutcomeReport
        {
            Device = outcome.Device.Name,
            Ok = outcome.Succeeded,
            Error = outcome.Error?.Message,
            Problem = outcome.Error is { } e ? System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(e.Problem.ToString()) : null,
            ElapsedSeconds = Math.Round(outcome.Elapsed.TotalSeconds, 3),
        };
        if (outcome.Value is { } value)
        {
            fill?.Invoke(report, value);
        }

        return report;
    }
}

/// <summary>Probes registered devices concurrently for `devices list`.</summary>
public static class DeviceProber
{
    /// <summary>Probes every device (bounded parallelism, each within <paramref name="timeout"/>); never throws for a device.</summary>
    public static async Task<IReadOnlyList<DeviceReport>> ProbeAsync(IReadOnlyList<DeviceEntry> devices, TimeSpan timeout, int parallel, CancellationToken cancellationToken)
    {
        var outcomes = await FleetRunner.RunAsync(devices, parallel, timeout + timeout, async (device, ct) =>
        {
            using var client = new EdgedClient(device, timeout);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var info = await client.DeviceAsync(ct).ConfigureAwait(false);
            return (Info: info, Ms: clock.Elapsed.TotalMilliseconds);
        }, null, cancellationToken).ConfigureAwait(false);
        return outcomes.Select(o => new DeviceReport
        {
            Name = o.Device.Name,
            Url = o.Device.Url,
            Groups = o.Device.Groups,
            TokenFile = o.Device.TokenFile,
            FingerprintSha256 = o.Device.FingerprintSha256,
            Reachable = o.Succeeded,
            Error = o.Error?.Message,
            LatencyMs = o.Succeeded ? Math.Round(o.Value.Ms, 1) : null,
            Device = o.Value.Info,
        }).ToList();
    }
}
