using System.Diagnostics;

namespace EdgeCompress.Fleet;

/// <summary>How one device's part of a fleet operation ended.</summary>
/// <typeparam name="T">What the work returns.</typeparam>
/// <param name="Device">The device.</param>
/// <param name="Value">The work's result, when it succeeded.</param>
/// <param name="Error">Why it failed (one line), when it did.</param>
/// <param name="Elapsed">Time from start of this device's work to its end.</param>
public sealed record FleetOutcome<T>(DeviceEntry Device, T? Value, FleetException? Error, TimeSpan Elapsed)
{
    /// <summary>True when the device's work succeeded.</summary>
    public bool Succeeded => Error is null;
}

/// <summary>
/// Runs the same work on many devices at once with a bounded degree of parallelism and a per-device deadline.
/// Every device's failure is caught and recorded, so one slow or dead board never blocks or aborts the rest.
/// </summary>
public static class FleetRunner
{
    /// <summary>
    /// Runs <paramref name="work"/> for each device; outcomes come back in the order of <paramref name="devices"/>.
    /// The work's token is cancelled at the device's deadline or when <paramref name="cancellationToken"/> is.
    /// </summary>
    public static async Task<IReadOnlyList<FleetOutcome<T>>> RunAsync<T>(IReadOnlyList<DeviceEntry> devices, int parallel, TimeSpan deadline,
        Func<DeviceEntry, CancellationToken, Task<T>> work, Action<FleetOutcome<T>>? finished, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(devices);
        ArgumentNullException.ThrowIfNull(work);
        ArgumentOutOfRangeException.ThrowIfLessThan(parallel, 1);
        using var slots = new SemaphoreSlim(parallel);
        var tasks = devices.Select(async device =>
        {
            await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var outcome = await RunOneAsync(device, deadline, work, cancellationToken).ConfigureAwait(false);
                finished?.Invoke(outcome);
                return outcome;
            }
            finally
            {
                slots.Release();
            }
        }).ToList();
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private static async Task<FleetOutcome<T>> RunOneAsync<T>(DeviceEntry device, TimeSpan deadline, Func<DeviceEntry, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(deadline);
        try
        {
            // Yield first so a device whose work blocks synchronously at the start cannot hold up the others.
            await Task.Yield();
            var value = await work(device, limit.Token).ConfigureAwait(false);
            return new FleetOutcome<T>(device, value, null, clock.Elapsed);
        }
        catch (FleetException ex)
        {
            return new FleetOutcome<T>(device, default, ex, clock.Elapsed);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            var seconds = deadline.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);
            return new FleetOutcome<T>(device, default,
                new FleetException(FleetProblem.Deadline, $"{device.Name}: not finished within the per-device deadline of {seconds} s (--deadline)", ex), clock.Elapsed);
        }
    }
}
