namespace EdgeCompress.Sensors.Tests;

public class PiAndHostSensorTests
{
    // In the format `vcgencmd pmic_read_adc` prints on a Raspberry Pi 5 (rails trimmed).
    private const string PmicOutput = """
             3V7_WL_SW_A current(0)=0.00000000A
               3V3_SYS_A current(1)=0.05269800A
               1V8_SYS_A current(2)=0.16396560A
              VDD_CORE_A current(7)=1.42880000A
             3V7_WL_SW_V volt(8)=3.71038400V
               3V3_SYS_V volt(9)=3.31318000V
               1V8_SYS_V volt(10)=1.80148800V
              VDD_CORE_V volt(15)=0.90659250V
                 EXT5V_V volt(24)=5.15520000V
                  BATT_V volt(25)=0.00000000V
        """;

    [Fact]
    public void Pi5_PMIC_sums_current_times_voltage_per_rail_and_calls_it_PMIC_rails()
    {
        var pmic = new PiPmic(new RecordedCommands().On("pmic_read_adc", PmicOutput), "/usr/bin/vcgencmd");

        Assert.True(pmic.TryReadWatts(out var watts, out var error), error);

        var expected = (0.05269800 * 3.31318000) + (0.16396560 * 1.80148800) + (1.42880000 * 0.90659250);
        Assert.Equal(expected, watts, 9);
        Assert.Equal("PMIC rails", pmic.Measures);
    }

    [Fact]
    public void Voltage_only_supplies_like_EXT5V_are_not_counted_as_rails()
    {
        var rails = PiPmic.ParseRails(PmicOutput);

        Assert.DoesNotContain("EXT5V", rails.Keys);
        Assert.Equal(["1V8_SYS", "3V3_SYS", "3V7_WL_SW", "VDD_CORE"], rails.Keys);
    }

    [Fact]
    public void A_Pi_4_without_a_PMIC_gives_a_reason_instead_of_zero_watts()
    {
        var pmic = new PiPmic(new RecordedCommands().On("pmic_read_adc", "error=1 error_msg=\"Command not registered\"\n"), "vcgencmd");

        Assert.False(pmic.TryReadWatts(out _, out var error));
        Assert.Contains("not a Pi 5", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Throttling_word_0x50005_decodes_to_under_voltage_and_throttling_now_and_before()
    {
        var throttling = new PiThrottling(new RecordedCommands().On("get_throttled", "throttled=0x50005\n"), "vcgencmd");

        Assert.True(throttling.TryRead(out var flags, out _));
        Assert.Equal(0x50005u, flags);
        Assert.Equal(["under-voltage now", "throttled now", "under-voltage occurred", "throttling occurred"], PiThrottling.Describe(flags));
    }

    [Fact]
    public void Thermal_zones_report_the_hottest_zone_in_celsius()
    {
        using var tree = new FakeTree()
            .File("sys/class/thermal/thermal_zone0/type", "cpu-thermal").File("sys/class/thermal/thermal_zone0/temp", "54312")
            .File("sys/class/thermal/thermal_zone1/type", "gpu-thermal").File("sys/class/thermal/thermal_zone1/temp", "61250");
        var zones = new ThermalZones(tree.Paths);

        Assert.True(zones.TryReadMaxCelsius(out var celsius, out _));
        Assert.Equal(61.25, celsius, 6);
        Assert.Equal(["thermal_zone0:cpu-thermal", "thermal_zone1:gpu-thermal"], zones.Names);
    }

    [Fact]
    public void No_thermal_zones_is_a_reason_not_a_temperature()
    {
        using var tree = new FakeTree();

        Assert.False(new ThermalZones(tree.Paths).TryReadMaxCelsius(out _, out var error));
        Assert.Equal("no thermal zones", error);
    }

    [Fact]
    public void RAPL_unwraps_a_counter_that_passed_its_range()
    {
        Assert.Equal(1_500_000, RaplPowerSensor.UnwrappedDelta(262_142_000_000 - 1_000_000, 500_000, 262_142_000_000));
        Assert.Equal(250, RaplPowerSensor.UnwrappedDelta(1000, 1250, 262_142_000_000));
    }

    [Fact]
    public void RAPL_power_is_energy_difference_over_time_and_sub_zones_are_not_added()
    {
        using var tree = new FakeTree()
            .File("sys/class/powercap/intel-rapl:0/name", "package-0")
            .File("sys/class/powercap/intel-rapl:0/energy_uj", "1000000")
            .File("sys/class/powercap/intel-rapl:0/max_energy_range_uj", "262143328850")
            .File("sys/class/powercap/intel-rapl:0:0/name", "core")
            .File("sys/class/powercap/intel-rapl:0:0/energy_uj", "5")
            .File("sys/class/powercap/intel-rapl:0:0/max_energy_range_uj", "262143328850");
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var rapl = RaplPowerSensor.TryFind(tree.Paths, out var reason, time);
        Assert.NotNull(rapl);
        Assert.True(rapl.TryPrime(out _));
        time.Advance(TimeSpan.FromMilliseconds(200));
        tree.File("sys/class/powercap/intel-rapl:0/energy_uj", "3000000"); // +2 J

        Assert.True(rapl.TryReadWatts(out var watts, out var error), error);
        Assert.Equal(10.0, watts, 9); // 2 J over 0.2 s
    }

    [Fact]
    public void Auto_discovery_on_a_machine_without_sensors_explains_each_miss()
    {
        using var tree = new FakeTree();

        var sensor = SensorDiscovery.FindPower(new PowerSensorSettings(), tree.Paths, new RecordedCommands(), out var reason);

        Assert.Null(sensor);
        Assert.Contains("no INA3221", reason, StringComparison.Ordinal);
        Assert.Contains("Pi 5 PMIC", reason, StringComparison.Ordinal);
        Assert.Contains("RAPL", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Auto_discovery_prefers_the_Jetson_board_monitor()
    {
        using var tree = new FakeTree()
            .File("sys/bus/i2c/drivers/ina3221x/6-0040/iio:device0/rail_name_0", "POM_5V_IN")
            .File("sys/bus/i2c/drivers/ina3221x/6-0040/iio:device0/in_power0_input", "3000")
            .File("sys/class/powercap/intel-rapl:0/energy_uj", "1")
            .File("sys/class/powercap/intel-rapl:0/max_energy_range_uj", "10");

        var sensor = SensorDiscovery.FindPower(new PowerSensorSettings(), tree.Paths, new RecordedCommands(), out _);

        Assert.IsType<JetsonIna3221>(sensor);
    }
}
