using System.Collections.Concurrent;
using EdgeCompress.Fleet;

namespace EdgeCompress.Cli.Commands;

/// <summary>One device's part of `edgec bench`: remote through its daemon, or in process for "local".</summary>
internal sealed class BenchRunner(ModelFile file, string storeName, BenchSettings settings, TimeSpan timeout, FleetConsole output)
{
    /// <summary>Certificates presented by the daemons reached, for trust-on-first-use pinning afterwards.</summary>
    public ConcurrentBag<(DeviceEntry Device, string Fingerprint)> Seen { get; } = [];

    public async Task<BenchRecord> RunAsync(DeviceEntry device, CancellationToken cancellationToken)
    {
        if (device.Name == LocalBench.DeviceName)
        {
            return await LocalBench.RunAsync(file, storeName, settings, output, cancellationToken).ConfigureAwait(false);
        }

        using var client = new EdgedClient(device, timeout);
        try
        {
            return await RemoteBench.RunAsync(client, file, storeName, settings, output, output.Note, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (client.PresentedFingerprint is { } fingerprint)
            {
                Seen.Add((device, fingerprint));
            }
        }
    }
}
