using System.Globalization;
using System.Runtime.InteropServices;
using EdgeCompress.Protocol;
using EdgeCompress.Runtime;
using EdgeCompress.Sensors;

namespace EdgeCompress.Daemon.Hosting;

/// <summary>Describes the machine for GET /v1/device from /proc/cpuinfo, /proc/meminfo and the device tree.</summary>
public static class DeviceProbe
{
    private static readonly Dictionary<string, string> ArmParts = new(StringComparer.OrdinalIgnoreCase)
    {
        ["0xd03"] = "Cortex-A53",
        ["0xd04"] = "Cortex-A35",
        ["0xd05"] = "Cortex-A55",
        ["0xd07"] = "Cortex-A57",
        ["0xd08"] = "Cortex-A72",
        ["0xd09"] = "Cortex-A73",
        ["0xd0a"] = "Cortex-A75",
        ["0xd0b"] = "Cortex-A76",
        ["0xd0d"] = "Cortex-A77",
        ["0xd41"] = "Cortex-A78",
        ["0xd42"] = "Cortex-A78AE",
        ["0xd4b"] = "Cortex-A78C",
    };

    /// <summary>Builds the description (sensors and TLS fingerprint are filled by the caller).</summary>
    public static DeviceInfo Describe(SensorPaths paths, string? profile, string version)
    {
        var info = new DeviceInfo
        {
            Hostname = Environment.MachineName,
            Architecture = HostArchitecture.Uname,
            Os = RuntimeInformation.OSDescription,
            Profile = profile,
            CpuCount = Environment.ProcessorCount,
            EdgedVersion = version,
            OnnxRuntimeVersion = ModelCheck.OnnxRuntimeVersion,
            ExecutionProviders = ModelCheck.AvailableProviders,
        };

        var cpu = ReadPairs(paths.CpuInfo);
        var part = cpu.GetValueOrDefault("CPU part");
        info.CpuModel = cpu.GetValueOrDefault("model name")
            ?? (part is not null && ArmParts.TryGetValue(part, out var core) ? core : part);
        var features = cpu.GetValueOrDefault("flags") ?? cpu.GetValueOrDefault("Features") ?? "";
        info.CpuFeatures = features.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var board = TryRead(paths.DeviceTreeModel)?.TrimEnd('\0').Trim();
        if (!string.IsNullOrEmpty(board))
        {
            info.CpuModel = $"{board} ({info.CpuModel})";
        }

        if (TryReadMemoryTotalBytes(paths) is { } memory)
        {
            info.MemoryTotalBytes = memory;
        }

        return info;
    }

    /// <summary>MemTotal from /proc/meminfo, bytes; null where it cannot be read.</summary>
    public static long? TryReadMemoryTotalBytes(SensorPaths paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var memory = ReadPairs(paths.MemInfo).GetValueOrDefault("MemTotal");
        return memory is not null && long.TryParse(memory.Split(' ')[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var kilobytes) && kilobytes is > 0 and < long.MaxValue / 1024
            ? kilobytes * 1024
            : null;
    }

    private static Dictionary<string, string> ReadPairs(string path)
    {
        // First occurrence wins: /proc/cpuinfo repeats each key once per core.
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in (TryRead(path) ?? "").Split('\n'))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                pairs.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim());
            }
        }

        return pairs;
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
