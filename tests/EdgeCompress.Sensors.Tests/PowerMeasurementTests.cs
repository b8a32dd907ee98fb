using System.Device.Gpio;

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
    public void Sampler_keeps_a_steady_rate_on_its_own_thread()
    {
        var sensor = new CountingSensor(2.5);
        using var sampler = new PowerSampler(sensor, TimeSpan.FromMilliseconds(10));

        sampler.Start();
        Thread.Sleep(500);
        var samples = sampler.Stop();

        // 100 Hz for 0.5 s is 50 samples. A loaded machine can starve the thread (fewer), but a sampler must never
        // run ahead of its schedule (more); upper bounds hold under any load, lower ones only loosely.
        Assert.InRange(samples.Count, 10, 55);
        Assert.All(samples, s => Assert.Equal(2.5, s.Watts));
        Assert.NotEqual(Environment.CurrentManagedThreadId, sensor.LastThreadId);
        var gaps = samples.Zip(samples.Skip(1), (a, b) => (b.Elapsed - a.Elapsed).TotalMilliseconds).Order().ToArray();
        Assert.True(gaps[gaps.Length / 2] >= 8, $"median spacing {gaps[gaps.Length / 2]:F1} ms is faster than the 10 ms schedule");
    }

    [Fact]
    public void A_failing_sensor_is_counted_and_explained_not_thrown()
    {
        var sensor = new CountingSensor(1) { FailWith = "bus gone" };
        using var sampler = new PowerSampler(sensor, TimeSpan.FromMilliseconds(10));

        sampler.Start();
        Thread.Sleep(100);
        var samples = sampler.Stop();

        Assert.Empty(samples);
        Assert.True(sampler.FailureCount > 3);
        Assert.Equal("bus gone", sampler.LastError);
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

    private sealed class CountingSensor(double watts) : IPowerSensor
    {
        public string? FailWith { get; init; }

        public int LastThreadId { get; private set; }

        public string Name => "counting";

        public string Measures => "test";

        public bool TryReadWatts(out double w, out string? error)
        {
            LastThreadId = Environment.CurrentManagedThreadId;
            w = watts;
            error = FailWith;
            return FailWith is null;
        }
    }
}
