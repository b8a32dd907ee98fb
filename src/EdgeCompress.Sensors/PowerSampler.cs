using System.Diagnostics;

namespace EdgeCompress.Sensors;

/// <summary>
/// Samples one power sensor at a steady rate on its own thread (so inference threads never wait on I2C or sysfs),
/// against a fixed schedule (start + k × period) rather than "sleep after each read", which drifts.
/// A failing sensor stops nothing: failures are counted and the last error kept.
/// </summary>
public sealed class PowerSampler : IDisposable
{
    private readonly IPowerSensor _sensor;
    private readonly TimeSpan _period;
    private readonly List<PowerSample> _samples = [];
    private readonly Lock _gate = new();
    private readonly Stopwatch _clock = new();
    private Thread? _thread;
    private volatile bool _stopping;

    /// <summary>Creates a sampler; call <see cref="Start"/> to begin.</summary>
    public PowerSampler(IPowerSensor sensor, TimeSpan period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        _sensor = sensor;
        _period = period;
    }

    /// <summary>The sensor sampled.</summary>
    public IPowerSensor Sensor => _sensor;

    /// <summary>Failed reads so far.</summary>
    public int FailureCount { get; private set; }

    /// <summary>The most recent read error.</summary>
    public string? LastError { get; private set; }

    /// <summary>Time since <see cref="Start"/>, on the same clock as the samples.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Starts the sampling thread.</summary>
    public void Start()
    {
        if (_thread is not null)
        {
            throw new InvalidOperationException("sampler already started");
        }

        if (_sensor is IPrimedPowerSensor primed && !primed.TryPrime(out var error))
        {
            Record(error);
        }

        _clock.Start();
        _thread = new Thread(Run) { IsBackground = true, Name = "edged power sampler", Priority = ThreadPriority.AboveNormal };
        _thread.Start();
    }

    /// <summary>Stops sampling and returns every sample taken.</summary>
    public IReadOnlyList<PowerSample> Stop()
    {
        _stopping = true;
        _thread?.Join();
        return Snapshot();
    }

    /// <summary>A copy of the samples so far.</summary>
    public IReadOnlyList<PowerSample> Snapshot()
    {
        lock (_gate)
        {
            return _samples.ToArray();
        }
    }

    /// <inheritdoc />
    public void Dispose() => Stop();

    private void Run()
    {
        long tick = 0;
        while (!_stopping)
        {
            var at = _clock.Elapsed;
            if (_sensor.TryReadWatts(out var watts, out var error))
            {
                lock (_gate)
                {
                    _samples.Add(new PowerSample(at, watts));
                }
            }
            else
            {
                Record(error);
            }

            tick++;
            var wait = (_period * tick) - _clock.Elapsed;
            if (wait < TimeSpan.Zero)
            {
                // A slow read overran its slot: skip the missed slots instead of bursting to catch up.
                tick = (long)(_clock.Elapsed / _period) + 1;
                continue;
            }

            Thread.Sleep(wait);
        }
    }

    private void Record(string? error)
    {
        lock (_gate)
        {
            FailureCount++;
            LastError = error;
        }
    }
}
