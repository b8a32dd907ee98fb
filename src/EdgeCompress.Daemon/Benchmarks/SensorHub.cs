using EdgeCompress.Daemon.Hosting;
using EdgeCompress.Protocol;
using EdgeCompress.Runtime;
using EdgeCompress.Sensors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using System.Device.Gpio;

namespace EdgeCompress.Daemon.Benchmarks;

/// <summary>
/// The sensors found at start, owned for the daemon's lifetime: the power sensor (or why there is none), thermal
/// zones, Pi throttling flags and the optional GPIO marker. Hands the benchmark engine its environment.
/// </summary>
public sealed class SensorHub : IDisposable
{
    private readonly EdgedOptions _options;
    private readonly ILogger<SensorHub> _logger;
    private BenchmarkEnvironment _environment = BenchmarkEnvironment.None;
    private IReadOnlyList<SensorInfo> _found = [];

    /// <summary>Creates the hub; <see cref="Discover"/> finds the sensors.</summary>
    public SensorHub(IOptions<EdgedOptions> options, ILogger<SensorHub> logger)
    {
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>The environment for benchmark runs.</summary>
    public BenchmarkEnvironment Environment => _environment;

    /// <summary>Sensors as reported by GET /v1/device.</summary>
    public IReadOnlyList<SensorInfo> Found => _found;

    /// <summary>Finds the configured sensors; never throws for a missing one.</summary>
    public void Discover()
    {
        var paths = new SensorPaths(_options.SensorRoot);
        var runner = new ProcessCommandRunner();
        var power = SensorDiscovery.FindPower(_options.Sensors, paths, runner, out var reason);
        var thermal = new ThermalZones(paths);
        var throttling = File.Exists(paths.Vcgencmd) ? new PiThrottling(runner, paths.Vcgencmd) : null;
        MarkerPin? marker = null;
        if (_options.Sensors.MarkerPin is { } pin)
        {
            try
            {
                marker = new MarkerPin(new GpioController(), pin);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PlatformNotSupportedException or InvalidOperationException or ArgumentException)
            {
                throw new StartupException($"sensors:markerPin {pin}: {ex.Message}", ex);
            }
        }

        var found = new List<SensorInfo>();
        if (power is not null)
        {
            found.Add(new SensorInfo { Name = power.Name, Kind = "power", Measures = power.Measures });
            Log.PowerSensorFound(_logger, power.Name, power.Measures);
        }
        else
        {
            Log.PowerSensorMissing(_logger, reason ?? "unknown");
        }

        found.AddRange(thermal.Names.Select(n => new SensorInfo { Name = n, Kind = "temperature", Measures = "°C" }));
        if (throttling is not null)
        {
            found.Add(new SensorInfo { Name = "vcgencmd get_throttled", Kind = "throttling", Measures = "Raspberry Pi throttling flags" });
        }

        _found = found;
        _environment = new BenchmarkEnvironment
        {
            PowerSensor = power,
            PowerUnavailableReason = reason,
            SamplePeriod = TimeSpan.FromSeconds(1 / _options.Sensors.SampleRateHz),
            Thermal = thermal,
            Throttling = throttling,
            Marker = marker,
        };
    }

    /// <summary>The hottest thermal zone now, for /metrics.</summary>
    public double? CurrentTemperatureCelsius() =>
        _environment.Thermal is { } thermal && thermal.TryReadMaxCelsius(out var celsius, out _) ? celsius : null;

    /// <inheritdoc />
    public void Dispose()
    {
        _environment.Marker?.Dispose();
        (_environment.PowerSensor as IDisposable)?.Dispose();
    }
}
