using EdgeCompress.Arm64.Tests.Support;

namespace EdgeCompress.Arm64.Tests;

/// <summary>Board preparation scripts against fake /proc, /sys and /boot trees (EDGED_BOARD_ROOT).</summary>
public sealed class BoardPrepScriptTests
{
    [Fact]
    public void Each_board_script_refuses_on_a_machine_that_is_not_its_board_and_changes_nothing()
    {
        using var root = new FakeRoot(systemd: false);
        var before = root.Snapshot();

        var i2c = root.Script("rpi-enable-i2c.sh");
        var jetson = root.Script("jetson-power.sh", "max");
        var governor = root.Script("cpu-governor.sh", "performance");

        Assert.Equal((3, "rpi-enable-i2c: this is not a Raspberry Pi (device-tree model: 'none'); nothing changed\n"), i2c);
        Assert.Equal(3, jetson.ExitCode);
        Assert.StartsWith("jetson-power: this is not an NVIDIA Jetson", jetson.Output, StringComparison.Ordinal);
        Assert.Equal(3, governor.ExitCode);
        Assert.StartsWith("cpu-governor: this machine has no cpufreq governors", governor.Output, StringComparison.Ordinal);
        Assert.Equal(before, root.Snapshot());
    }

    [Fact]
    public void Cpu_governor_pins_performance_for_a_session_and_restores_exactly_what_each_core_had()
    {
        using var root = new FakeRoot(systemd: false);
        string[] original = ["ondemand", "schedutil", "ondemand", "powersave"];
        for (var cpu = 0; cpu < original.Length; cpu++)
        {
            Directory.CreateDirectory(root.At($"sys/devices/system/cpu/cpu{cpu}/cpufreq"));
            File.WriteAllText(root.At($"sys/devices/system/cpu/cpu{cpu}/cpufreq/scaling_governor"), original[cpu] + "\n");
            File.WriteAllText(root.At($"sys/devices/system/cpu/cpu{cpu}/cpufreq/scaling_available_governors"), "ondemand schedutil powersave performance\n");
        }

        var on = root.Script("cpu-governor.sh", "performance");
        var during = Governors(root);
        var twice = root.Script("cpu-governor.sh", "performance");
        var off = root.Script("cpu-governor.sh", "restore");

        Assert.True(on.ExitCode == 0, on.Output);
        Assert.Contains("cpu1: schedutil -> performance", on.Output, StringComparison.Ordinal);
        Assert.All(during, g => Assert.Equal("performance", g));
        Assert.Contains("already runs the performance governor; nothing changed", twice.Output, StringComparison.Ordinal);
        Assert.True(off.ExitCode == 0, off.Output);
        Assert.Contains("cpu3: performance -> powersave", off.Output, StringComparison.Ordinal);
        Assert.Equal(original, Governors(root));
        Assert.False(File.Exists(root.At("run/edged-governors.saved")), "the session file outlived restore");
    }

    [Fact]
    public void Enabling_i2c_on_a_Raspberry_Pi_edits_config_txt_and_modules_once_and_says_so()
    {
        using var root = new FakeRoot(systemd: false);
        Directory.CreateDirectory(root.At("proc/device-tree"));
        Directory.CreateDirectory(root.At("boot/firmware"));
        File.WriteAllText(root.At("proc/device-tree/model"), "Raspberry Pi 4 Model B Rev 1.4\0");
        File.WriteAllText(root.At("boot/firmware/config.txt"), "[all]\n#dtparam=i2c_arm=on\ndtparam=audio=on\n");

        var first = root.Script("rpi-enable-i2c.sh");
        var afterFirst = root.Snapshot();
        var second = root.Script("rpi-enable-i2c.sh");

        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Contains("dtparam=i2c_arm=on (was commented out or off; takes effect after a reboot)", first.Output, StringComparison.Ordinal);
        Assert.Equal("[all]\ndtparam=i2c_arm=on\ndtparam=audio=on\n", File.ReadAllText(root.At("boot/firmware/config.txt")));
        Assert.Equal("i2c-dev\n", File.ReadAllText(root.At("etc/modules-load.d/i2c-dev.conf")));
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.EndsWith("I2C was already enabled; nothing changed\n", second.Output, StringComparison.Ordinal);
        Assert.Equal(afterFirst, root.Snapshot());
    }

    private static string[] Governors(FakeRoot root) =>
        Enumerable.Range(0, 4).Select(cpu => File.ReadAllText(root.At($"sys/devices/system/cpu/cpu{cpu}/cpufreq/scaling_governor")).Trim()).ToArray();
}
