using System.Device.Gpio;
using Microsoft.Extensions.Time.Testing;

namespace EdgeCompress.Sensors.Tests;

public class PowerMeasurementTests
{
    private static PowerSample At(double seconds, double watts) => new(TimeSpan.FromSeconds(seconds), watts);

    [Fact]
    public void Energy_of_a_constant_2_W_over_3_s_is_6_J()
    {
        PowerSample[] samples = [At(0, 2), At(1, 2), At(2, 2), At(3, 2)];

        Assert.True(PowerWindow.TryIntegrateJoules(samples, TimeSpan.Zero, TimeSpan.FromSeconds(3), out var joules));
        Assert.Equal(6, joules, 9);
    }

    [Fact]
    public void Uneven_samples_are_weighted_by_the_time_they_cover_not_averaged_pairwise()
    {
        // 1 W for 9 s sampled once a second, then a burst of ten 10 W samples within the last 0.1 s.
        var samples = Enumerable.Range(0, 10).Select(i => At(i, 1)).ToList();
        samples.AddRange(Enumerable.Range(1, 10).Select(i => At(9 + (i * 0.01), 10)));

        Assert.True(PowerWindow.TryMeanWatts(samples, TimeSpan.Zero, TimeSpan.FromSeconds(9.1), out var mean));

        // Time-weighted: ≈ (9 × 1 + 0.1 × 10) / 9.1 ≈ 1.1 W; a running (new + old) / 2 would end near 10 W.
        Assert.InRange(mean, 1.0, 1.2);
        var running = samples.Skip(1).Aggregate(samples[0].Watts, (acc, s) => (acc + s.Watts) / 2);
        Assert.True(running > 9, "the naive running average is what this integration exists to avoid");
    }

    [Fact]
    public void Only_the_part_of_the_trace_inside_the_window_counts()
    {
        // A ramp from 0 W at t=0 to 10 W at t=10: the mean over [4 s, 6 s] is 5 W.
        PowerSample[] samples = [At(0, 0), At(10, 10)];

        Assert.True(PowerWindow.TryMeanWatts(samples, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(6), out var mean));
        Assert.Equal(5, mean, 9);
        Assert.Equal(0, PowerWindow.CountInside(samples, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(6)));
    }

    [Fact]
    public void No_samples_means_no_figure()
    {
        Assert.False(PowerWindow.TryMeanWatts([], TimeSpan.Zero, TimeSpan.FromSeconds(1), out _));
    }

    [Fact]
    public void Sampler_reads_on_a_fixed_schedule_on_its_own_thread()
    {
        using var time = new SteppedTime();
        var sensor = new CountingSensor(2.5);
        using var sampler = new PowerSampler(sensor, TimeSpan.FromMilliseconds(10), time);

        sampler.Start();
        time.StepToEachSlot(sampler, slots: 50);
        var samples = sampler.Stop();

        // 100 Hz for 0.5 s: a read at 0, 10, ..., 500 ms, exactly, and none off the schedule.
        Assert.Equal(Enumerable.Range(0, 51).Select(k => k * 10.0), samples.Select(s => s.Elapsed.TotalMilliseconds));
        Assert.All(samples, s => Assert.Equal(2.5, s.Watts));
        Assert.NotEqual(Environment.CurrentManagedThreadId, sensor.LastThreadId);
    }

    [Fact]
    public void A_read_that_overruns_its_slot_skips_the_missed_slots_instead_of_bursting()
    {
        using var time = new SteppedTime();
        var sensor = new CountingSensor(1) { SlowRead = (2, time, TimeSpan.FromMilliseconds(35)) };
        using var sampler = new PowerSampler(sensor, TimeSpan.FromMilliseconds(10), time);

        sampler.Start();
        time.StepToEachSlot(sampler, slots: 5);
        var samples = sampler.Stop();

        // The read at 20 ms took 35 ms (an I2C retry): the next read is at the next slot, 60 ms; 30-50 are skipped.
        Assert.Equal([0.0, 10, 20, 60, 70, 80], samples.Select(s => s.Elapsed.TotalMilliseconds));
    }

    [Fact]
    public void A_failing_sensor_is_counted_and_explained_not_thrown()
    {
        using var time = new SteppedTime();
        var sensor = new CountingSensor(1) { FailWith = "bus gone" };
        using var sampler = new PowerSampler(sensor, TimeSpan.FromMilliseconds(10), time);

        sampler.Start();
        time.StepToEachSlot(sampler, slots: 9);
        var samples = sampler.Stop();

        Assert.Empty(samples);
        Assert.Equal(10, sampler.FailureCount);
        Assert.Equal("bus gone", sampler.LastError);
    }

    [Fact]
    public async Task Stopping_a_sampler_does_not_wait_out_its_period()
    {
        using var time = new SteppedTime();
        var sampler = new PowerSampler(new CountingSensor(1), TimeSpan.FromHours(1), time);
        sampler.Start();

        // The next slot is an hour away; a sampler that slept would hold Stop (and the benchmark) for that hour.
        await Task.Run(sampler.Dispose).WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Marker_pin_is_high_only_inside_the_measured_window()
    {
        var driver = new RecordingGpioDriver();
        using (var marker = new MarkerPin(new GpioController(driver), pin: 17))
        {
            Assert.Equal(PinMode.Output, driver.Modes[17]);
            Assert.Equal(PinValue.Low, driver.Values[17]);
            using (marker.Raise())
            {
                Assert.Equal(PinValue.High, driver.Values[17]);
            }

            Assert.Equal(PinValue.Low, driver.Values[17]);
        }

        Assert.Equal([PinValue.Low, PinValue.High, PinValue.Low, PinValue.Low], driver.Writes);
        Assert.DoesNotContain(17, driver.Modes.Keys); // closed on dispose
    }

    [Fact]
    public void Marker_pin_goes_low_even_when_the_window_throws()
    {
        var driver = new RecordingGpioDriver();
        using var marker = new MarkerPin(new GpioController(driver), pin: 4);

        void MeasuredWindow()
        {
            using (marker.Raise())
            {
                throw new InvalidOperationException("inference failed");
            }
        }

        Assert.Throws<InvalidOperationException>(MeasuredWindow);

        Assert.Equal(PinValue.Low, driver.Values[4]);
    }

    /// <summary>A fake clock that counts the sampler's waits, so a test can move time to each slot once the sampler waits for it.</summary>
    private sealed class SteppedTime : FakeTimeProvider, IDisposable
    {
        private readonly SemaphoreSlim _waits = new(0);

        public void Dispose() => _waits.Dispose();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            _waits.Release();
            return timer;
        }

        /// <summary>For each of <paramref name="slots"/> slots: waits until the sampler sleeps, then moves time to the next whole period.</summary>
        public void StepToEachSlot(PowerSampler sampler, int slots)
        {
            for (var i = 0; i <= slots; i++)
            {
                Assert.True(_waits.Wait(TimeSpan.FromSeconds(10)), $"the sampler never waited for slot {i}");
                if (i < slots)
                {
                    var elapsed = sampler.Elapsed.Ticks;
                    var period = TimeSpan.FromMilliseconds(10).Ticks;
                    Advance(TimeSpan.FromTicks(period - (elapsed % period)));
                }
            }
        }
    }

    private sealed class CountingSensor(double watts) : IPowerSensor
    {
        private int _reads;

        public string? FailWith { get; init; }

        /// <summary>Read number N (from 0) takes this long on the given clock.</summary>
        public (int Read, FakeTimeProvider Time, TimeSpan Takes)? SlowRead { get; init; }

        public int LastThreadId { get; private set; }

        public string Name => "counting";

        public string Measures => "test";

        public bool TryReadWatts(out double w, out string? error)
        {
            LastThreadId = Environment.CurrentManagedThreadId;
            if (SlowRead is { } slow && _reads == slow.Read)
            {
                slow.Time.Advance(slow.Takes);
            }

            _reads++;
            w = watts;
            error = FailWith;
            return FailWith is null;
        }
    }
}
