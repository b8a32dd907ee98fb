namespace EdgeCompress.Sensors;

/// <summary>
/// Every file-system location the sensors read, in one place. <see cref="Root"/> is "/" on a board; tests point
/// it at a fake sysfs tree so each reader is exercised against the layouts the kernels really expose.
/// </summary>
public sealed class SensorPaths
{
    /// <summary>Creates the default paths under <paramref name="root"/> ("/" on a real machine).</summary>
    public SensorPaths(string root = "/") => Root = root;

    /// <summary>The file-system root all paths are resolved under.</summary>
    public string Root { get; }

    /// <summary>Thermal zones: thermal_zoneN/{type,temp}.</summary>
    public string ThermalClass => Under("sys/class/thermal");

    /// <summary>Intel RAPL zones: intel-rapl:N/{name,energy_uj,max_energy_range_uj}.</summary>
    public string PowercapClass => Under("sys/class/powercap");

    /// <summary>JetPack 4 (Nano, TX2, Xavier) INA3221 iio devices: ina3221x/ADDR/iio:deviceN.</summary>
    public string JetsonIioDriver => Under("sys/bus/i2c/drivers/ina3221x");

    /// <summary>JetPack 5+ (Orin) INA3221 hwmon devices: BUS-ADDR/hwmon/hwmonN.</summary>
    public string I2cDevices => Under("sys/bus/i2c/devices");

    /// <summary>The Raspberry Pi firmware tool (Pi 5 PMIC, throttling flags).</summary>
    public string Vcgencmd => Under("usr/bin/vcgencmd");

    /// <summary>Kernel CPU description.</summary>
    public string CpuInfo => Under("proc/cpuinfo");

    /// <summary>Kernel memory description.</summary>
    public string MemInfo => Under("proc/meminfo");

    /// <summary>Device-tree model string (Raspberry Pi and Jetson boards).</summary>
    public string DeviceTreeModel => Under("proc/device-tree/model");

    private string Under(string relative) => Path.Combine(Root, relative);
}
