namespace EdgeCompress.Sensors;

/// <summary>
/// Samples one power sensor at a steady rate on its own thread (so inference threads never wait on I2C or sysfs),
/// against a fixed schedule (start + k × period) rather than "sleep after each read", which drifts.
/// A failing sensor stops nothing: failures are counted and the last error kept. Time comes from a
/// <see cref="TimeProvider"/> (the system's by default), so tests drive the schedule instead of sleeping.
/// </summary>
public sealed class PowerSampler : IDisposable
{
    private readonly IPowerSensor _sensor;
    private readonly TimeSpan _period;
    private readonly List<PowerSample> _samples = [];
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private long _start;
    private Thread? _thread;

    /// <summary>Creates a sampler; call <see cref="Start"/> to begin.</summary>
    public PowerSampler(IPowerSensor sensor, TimeSpan period, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        _sensor = sensor;
        _period = period;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The sensor sampled.</summary>
    public IPowerSensor Sensor => _sensor;

    /// <summary>Failed reads so far.</summary>
    public int FailureCount { get; private set; }

    /// <summary>The most recent read error.</summary>
    public string? LastError { get; private set; }

    /// <summary>Time since <see cref="Start"/>, on the same clock as the samples.</summary>
    public TimeSpan Elapsed => _thread is null ? TimeSpan.Zero : _time.GetElapsedTime(_start);

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

        _start = _time.GetTimestamp();
        _thread = new Thread(Run) { IsBackground = true, Name = "edged power sampler", Priority = ThreadPriority.AboveNormal };
        _thread.Start();
    }

    /// <summary>Stops sampling and returns every sample taken.</summary>
    public IReadOnlyList<PowerSample> Stop()
    {
        if (!_stopping.IsCancellationRequested)
        {
            _stopping.Cancel();
        }

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
    public void Dispose()
    {
        Stop();
        _stopping.Dispose();
    }

    private void Run()
    {
        long tick = 0;
        while (!_stopping.IsCancellationRequested)
        {
            var at = Elapsed;
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
            var wait = (_period * tick) - Elapsed;
            if (wait < TimeSpan.Zero)
            {
                // A slow read overran its slot: skip the missed slots instead of bursting to catch up.
                tick = (long)(Elapsed / _period) + 1;
                wait = (_period * tick) - Elapsed;
            }

            if (!WaitForSlot(wait))
            {
                return;
            }
        }
    }

    /// <summary>Waits until the slot, or returns false at once when stopped (no waiting out a period). On the system
    /// clock the stop token's wait handle sleeps as precisely as Thread.Sleep (a Task.Delay through TimeProvider.System
    /// was seen to take 620 ms for 5 ms); other clocks (tests) wait on their own timers.</summary>
    private bool WaitForSlot(TimeSpan wait)
    {
        if (_time == TimeProvider.System)
        {
            return !_stopping.Token.WaitHandle.WaitOne(wait);
        }

        try
        {
            Task.Delay(wait, _time, _stopping.Token).Wait();
            return true;
        }
        catch (AggregateException ex) when (ex.InnerException is TaskCanceledException)
        {
            return false;
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
