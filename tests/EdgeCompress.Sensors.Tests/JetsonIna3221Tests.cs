namespace EdgeCompress.Sensors.Tests;

public class JetsonIna3221Tests
{
    private const string NanoIio = "sys/bus/i2c/drivers/ina3221x/6-0040/iio:device0";
    private const string OrinHwmon = "sys/bus/i2c/devices/1-0040/hwmon/hwmon3";

    [Fact]
    public void JetPack_4_iio_layout_reads_only_the_board_input_rail_in_watts()
    {
        using var tree = new FakeTree()
            .File($"{NanoIio}/rail_name_0", "POM_5V_IN").File($"{NanoIio}/in_power0_input", "4680")
            .File($"{NanoIio}/rail_name_1", "POM_5V_GPU").File($"{NanoIio}/in_power1_input", "1200")
            .File($"{NanoIio}/rail_name_2", "POM_5V_CPU").File($"{NanoIio}/in_power2_input", "2100");

        var sensor = JetsonIna3221.TryFind(tree.Paths, out var reason);

        Assert.NotNull(sensor);
        Assert.Equal("board input", sensor.Measures);
        Assert.True(sensor.TryReadWatts(out var watts, out var error), error);
        Assert.Equal(4.68, watts, 6); // GPU and CPU rails are inside POM_5V_IN, not added
    }

    [Fact]
    public void JetPack_5_hwmon_layout_multiplies_millivolts_by_milliamps_for_VDD_IN()
    {
        using var tree = new FakeTree()
            .File($"{OrinHwmon}/name", "ina3221")
            .File($"{OrinHwmon}/in1_label", "VDD_IN").File($"{OrinHwmon}/in1_input", "5056").File($"{OrinHwmon}/curr1_input", "1232")
            .File($"{OrinHwmon}/in2_label", "VDD_CPU_GPU_CV").File($"{OrinHwmon}/in2_input", "5048").File($"{OrinHwmon}/curr2_input", "400")
            .File($"{OrinHwmon}/in3_label", "VDD_SOC").File($"{OrinHwmon}/in3_input", "5048").File($"{OrinHwmon}/curr3_input", "560")
            .File($"{OrinHwmon}/in7_label", "sum of shunt voltages").File($"{OrinHwmon}/in7_input", "88").File($"{OrinHwmon}/curr7_input", "0");

        var sensor = JetsonIna3221.TryFind(tree.Paths, out _);

        Assert.NotNull(sensor);
        Assert.Equal("jetson-ina3221:VDD_IN", sensor.Name);
        Assert.True(sensor.TryReadWatts(out var watts, out _));
        Assert.Equal(5.056 * 1.232, watts, 6);
    }

    [Fact]
    public void Without_a_board_input_rail_the_named_rails_are_summed_skipping_NC()
    {
        using var tree = new FakeTree()
            .File($"{OrinHwmon}/name", "ina3221")
            .File($"{OrinHwmon}/in1_label", "VDD_CPU").File($"{OrinHwmon}/in1_input", "5000").File($"{OrinHwmon}/curr1_input", "200")
            .File($"{OrinHwmon}/in2_label", "NC").File($"{OrinHwmon}/in2_input", "5000").File($"{OrinHwmon}/curr2_input", "999")
            .File($"{OrinHwmon}/in3_label", "VDD_GPU").File($"{OrinHwmon}/in3_input", "5000").File($"{OrinHwmon}/curr3_input", "100");

        var sensor = JetsonIna3221.TryFind(tree.Paths, out _);

        Assert.NotNull(sensor);
        Assert.Equal("sum of rails", sensor.Measures);
        Assert.Equal(["VDD_CPU", "VDD_GPU"], sensor.Channels.Select(c => c.Label));
        Assert.True(sensor.TryReadWatts(out var watts, out _));
        Assert.Equal(1.5, watts, 6);
    }

    [Fact]
    public void A_hwmon_device_that_is_not_an_ina3221_is_ignored()
    {
        using var tree = new FakeTree()
            .File("sys/bus/i2c/devices/0-0048/hwmon/hwmon0/name", "lm75")
            .File("sys/bus/i2c/devices/0-0048/hwmon/hwmon0/in1_label", "VDD_IN")
            .File("sys/bus/i2c/devices/0-0048/hwmon/hwmon0/curr1_input", "1");

        Assert.Null(JetsonIna3221.TryFind(tree.Paths, out var reason));
        Assert.Contains("no INA3221", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rail_file_that_vanishes_is_a_failed_read_naming_the_file()
    {
        using var tree = new FakeTree().File($"{NanoIio}/rail_name_0", "POM_5V_IN").File($"{NanoIio}/in_power0_input", "4680");
        var sensor = JetsonIna3221.TryFind(tree.Paths, out _)!;
        File.Delete(Path.Combine(tree.Root, NanoIio, "in_power0_input"));

        Assert.False(sensor.TryReadWatts(out _, out var error));
        Assert.Contains("in_power0_input", error, StringComparison.Ordinal);
    }
}
