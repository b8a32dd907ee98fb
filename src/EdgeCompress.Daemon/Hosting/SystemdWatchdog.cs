using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace EdgeCompress.Daemon.Hosting;

/// <summary>
/// Pets the systemd watchdog (WatchdogSec= in the unit) at half the interval systemd asks for. Ready and stopping
/// notifications come from the systemd lifetime; this only adds the periodic WATCHDOG=1.
/// </summary>
public sealed class SystemdWatchdog : BackgroundService
{
    private readonly ISystemdNotifier _notifier;
    private readonly ILogger<SystemdWatchdog> _logger;

    /// <summary>Creates the service.</summary>
    public SystemdWatchdog(ISystemdNotifier notifier, ILogger<SystemdWatchdog> logger)
    {
        _notifier = notifier;
        _logger = logger;
    }

    /// <summary>The interval systemd expects pings within, from WATCHDOG_USEC; null when the watchdog is off.</summary>
    public static TimeSpan? Interval(string? watchdogUsec) =>
        long.TryParse(watchdogUsec, NumberStyles.Integer, CultureInfo.InvariantCulture, out var usec) && usec > 0
            ? TimeSpan.FromMicroseconds(usec)
            : null;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_notifier.IsEnabled || Interval(Environment.GetEnvironmentVariable("WATCHDOG_USEC")) is not { } interval)
        {
            return;
        }

        Log.WatchdogEnabled(_logger, interval);
        using var timer = new PeriodicTimer(interval / 2);
        try
        {
            do
            {
                _notifier.Notify(new ServiceState("WATCHDOG=1"));
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the systemd lifetime sends STOPPING=1.
        }
    }
}
