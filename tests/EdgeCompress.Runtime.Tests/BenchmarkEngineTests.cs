using System.Device.Gpio;
using EdgeCompress.Protocol;
using EdgeCompress.Sensors;
using EdgeCompress.Runtime;

namespace EdgeCompress.Runtime.Tests;

public sealed class BenchmarkEngineTests : IDisposable
{
    private readonly string _model = Path.Combine(Path.GetTempPath(), $"engine-{Guid.NewGuid():N}.onnx");

    public BenchmarkEngineTests() => File.WriteAllBytes(_model, TestModels.Mlp(width: 128, layers: 2));

    public void Dispose() => File.Delete(_model);

    [Fact]
    public void The_marker_pin_is_high_for_every_power_sample_inside_the_measured_window_and_low_while_idle()
    {
        var driver = new RecordingGpioDriver();
        using var marker = new MarkerPin(new GpioController(driver), pin: 21);
        var sensor = new PinWatchingSensor(driver, 21);
        var environment = new BenchmarkEnvironment { PowerSensor = sensor, Marker = marker, SamplePeriod = TimeSpan.FromMilliseconds(5) };

        var result = BenchmarkEngine.Run(_model, "mlp", new BenchmarkRequest { Model = "mlp", DurationSeconds = 0.4, IdleSeconds = 0.2 }, environment, null, default);

        Assert.True(result.Power.Available, result.Power.Unavailable);
        // The sensor reports 1 W while the pin is low and 3 W while it is high, so the figures show which is which.
        // Samples are joined by straight lines, so the one gap that straddles each window edge blends the two levels
        // a little; on a loaded machine that gap can be tens of milliseconds.
        Assert.InRange(result.Power.IdleWatts!.Value, 0.999, 1.2);
        Assert.InRange(result.Power.MeanWatts!.Value, 2.8, 3.001);
        Assert.Equal(PinValue.Low, driver.Values[21]);
        Assert.Equal([PinValue.Low, PinValue.High, PinValue.Low], Collapse(driver.Writes));
    }

    [Fact]
    public void Energy_per_inference_is_mean_power_times_window_over_count()
    {
        var environment = new BenchmarkEnvironment { PowerSensor = new ConstantSensor(4.0), SamplePeriod = TimeSpan.FromMilliseconds(5) };

        // A timed window of 0.3 s holds many 5 ms samples; 500 runs of this tiny MLP can end before the first sample
        // on a fast host (the power figures were then null and the test failed in CI).
        var result = BenchmarkEngine.Run(_model, "mlp", new BenchmarkRequest { Model = "mlp", DurationSeconds = 0.3, IdleSeconds = 0 }, environment, null, default);

        var power = result.Power;
        Assert.True(power.Available, power.Unavailable);
        Assert.Equal(4.0, power.MeanWatts!.Value, 6);
        Assert.Equal(4.0 * result.MeasuredSeconds * 1000, power.EnergyMillijoules!.Value, 3);
        Assert.Equal(power.EnergyMillijoules.Value / result.Count, power.EnergyPerInferenceMillijoules!.Value, 6);
        Assert.Equal("constant", power.SensorName);
        Assert.Equal("board input", power.Measures);
    }

    [Fact]
    public void Progress_reports_init_warmup_and_measure_phases()
    {
        var phases = new List<string>();
        var progress = new SyncProgress(p => phases.Add(p.Phase));

        BenchmarkEngine.Run(_model, "mlp", new BenchmarkRequest { Model = "mlp", Iterations = 20, Warmup = 3, Power = false }, BenchmarkEnvironment.None, progress, default);

        Assert.Equal(["init", "warmup", "measure"], phases.Distinct());
    }

    [Fact]
    public void Cancellation_stops_a_long_run_promptly()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        Assert.ThrowsAny<OperationCanceledException>(() =>
            BenchmarkEngine.Run(_model, "mlp", new BenchmarkRequest { Model = "mlp", DurationSeconds = 60, Power = false }, BenchmarkEnvironment.None, null, cancel.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void A_file_that_is_not_a_model_fails_with_the_model_named()
    {
        var bad = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.onnx");
        File.WriteAllText(bad, "not onnx");
        try
        {
            var ex = Assert.Throws<ModelRunException>(() =>
                BenchmarkEngine.Run(bad, "broken-model", new BenchmarkRequest { Model = "broken-model", Iterations = 1 }, BenchmarkEnvironment.None, null, default));
            Assert.StartsWith("broken-model: ONNX Runtime cannot load the model:", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', ex.Message);
        }
        finally
        {
            File.Delete(bad);
        }
    }

    [Theory]
    [InlineData(new[] { 1.0 }, 0.5, 1.0)]
    [InlineData(new[] { 1.0, 2.0, 3.0, 4.0 }, 0.5, 2.5)]
    [InlineData(new[] { 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0 }, 0.9, 9.1)]
    [InlineData(new[] { 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0 }, 0.99, 9.91)]
    public void Percentiles_interpolate_linearly_like_numpy(double[] sorted, double quantile, double expected)
    {
        Assert.Equal(expected, EdgeCompress.Protocol.Percentiles.Quantile(sorted, quantile), 9);
    }

    [Fact]
    public void Statistics_report_population_std_and_extremes()
    {
        var stats = LatencyStatistics.From([2, 4, 4, 4, 5, 5, 7, 9]);

        Assert.Equal((8, 2.0, 9.0, 5.0, 2.0), (stats.Count, stats.MinMs, stats.MaxMs, stats.MeanMs, stats.StdMs));
    }

    private static List<PinValue> Collapse(List<PinValue> writes) =>
        writes.Where((v, i) => i == 0 || writes[i - 1] != v).ToList();

    private sealed class PinWatchingSensor(RecordingGpioDriver driver, int pin) : IPowerSensor
    {
        public string Name => "pin-watcher";

        public string Measures => "board input";

        public bool TryReadWatts(out double watts, out string? error)
        {
            lock (driver)
            {
                watts = driver.Values.TryGetValue(pin, out var value) && value == PinValue.High ? 3.0 : 1.0;
            }

            error = null;
            return true;
        }
    }

    private sealed class ConstantSensor(double watts) : IPowerSensor
    {
        public string Name => "constant";

        public string Measures => "board input";

        public bool TryReadWatts(out double w, out string? error)
        {
            w = watts;
            error = null;
            return true;
        }
    }

    private sealed class SyncProgress(Action<BenchmarkProgress> report) : IProgress<BenchmarkProgress>
    {
        public void Report(BenchmarkProgress value) => report(value);
    }
}
