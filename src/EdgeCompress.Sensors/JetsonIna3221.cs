using System.Globalization;

namespace EdgeCompress.Sensors;

/// <summary>One INA3221 channel as exposed by a Jetson kernel.</summary>
/// <param name="Label">Rail name (VDD_IN, POM_5V_IN, VDD_CPU_GPU_CV, ...).</param>
/// <param name="Directory">The sysfs directory holding the channel's files.</param>
/// <param name="Index">Channel number in that directory.</param>
/// <param name="Layout">iio (JetPack 4) or hwmon (JetPack 5+).</param>
public sealed record Ina3221Channel(string Label, string Directory, int Index, string Layout);

/// <summary>
/// Jetson on-module INA3221 power monitors through sysfs, for both JetPack layouts: JetPack 4 iio
/// (rail_name_N, in_power{N}_input in mW) and JetPack 5+ hwmon (inN_label, inN_input mV, currN_input mA; P = V × I).
/// When the board-input rail (VDD_IN or POM_5V_IN) exists it alone is the reading, since the CPU/GPU rails are inside
/// it; otherwise the named rails are summed and labelled as such. "NC" channels and the
/// "sum of shunt voltages" channel are skipped.
/// </summary>
public sealed class JetsonIna3221 : IPowerSensor
{
    private static readonly string[] BoardInputLabels = ["VDD_IN", "POM_5V_IN"];
    private readonly IReadOnlyList<Ina3221Channel> _channels;

    private JetsonIna3221(IReadOnlyList<Ina3221Channel> channels, bool boardInput)
    {
        _channels = channels;
        Measures = boardInput ? "board input" : "sum of rails";
        Name = boardInput ? $"jetson-ina3221:{channels[0].Label}" : "jetson-ina3221:rails";
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public string Measures { get; }

    /// <summary>The channels read and summed.</summary>
    public IReadOnlyList<Ina3221Channel> Channels => _channels;

    /// <summary>Finds the monitors under <paramref name="paths"/>; null with a reason when there are none.</summary>
    public static JetsonIna3221? TryFind(SensorPaths paths, out string? reason)
    {
        var channels = FindChannels(paths);
        if (channels.Count == 0)
        {
            reason = "no INA3221 found in sysfs (not a Jetson, or a Nano 2GB which has none)";
            return null;
        }

        reason = null;
        var board = channels.FirstOrDefault(c => BoardInputLabels.Contains(c.Label, StringComparer.OrdinalIgnoreCase));
        return board is not null ? new JetsonIna3221([board], boardInput: true) : new JetsonIna3221(channels, boardInput: false);
    }

    /// <summary>Every usable channel in both layouts.</summary>
    public static IReadOnlyList<Ina3221Channel> FindChannels(SensorPaths paths)
    {
        var found = new List<Ina3221Channel>();
        if (Directory.Exists(paths.JetsonIioDriver))
        {
            foreach (var iio in Directory.EnumerateDirectories(paths.JetsonIioDriver, "iio:device*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                for (var i = 0; i < 8; i++)
                {
                    var label = ReadTrimmed(Path.Combine(iio, $"rail_name_{i}"));
                    if (label is not null && IsUsable(label) && File.Exists(Path.Combine(iio, $"in_power{i}_input")))
                    {
                        found.Add(new Ina3221Channel(label, iio, i, "iio"));
                    }
                }
            }
        }

        if (Directory.Exists(paths.I2cDevices))
        {
            foreach (var device in Directory.EnumerateDirectories(paths.I2cDevices).Order(StringComparer.Ordinal))
            {
                var hwmonRoot = Path.Combine(device, "hwmon");
                if (!Directory.Exists(hwmonRoot))
                {
                    continue;
                }

                foreach (var hwmon in Directory.EnumerateDirectories(hwmonRoot, "hwmon*").Order(StringComparer.Ordinal))
                {
                    if (!string.Equals(ReadTrimmed(Path.Combine(hwmon, "name")), "ina3221", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    for (var i = 1; i <= 8; i++)
                    {
                        var label = ReadTrimmed(Path.Combine(hwmon, $"in{i}_label"));
                        if (label is not null && IsUsable(label) && File.Exists(Path.Combine(hwmon, $"curr{i}_input")))
                        {
                            found.Add(new Ina3221Channel(label, hwmon, i, "hwmon"));
                        }
                    }
                }
            }
        }

        return found;
    }

    /// <inheritdoc />
    public bool TryReadWatts(out double watts, out string? error)
    {
        watts = 0;
        foreach (var channel in _channels)
        {
            if (!TryReadChannelWatts(channel, out var channelWatts, out error))
            {
                return false;
            }

            watts += channelWatts;
        }

        error = null;
        return true;
    }

    /// <summary>Reads one channel's power in watts.</summary>
    public static bool TryReadChannelWatts(Ina3221Channel channel, out double watts, out string? error)
    {
        watts = 0;
        if (channel.Layout == "iio")
        {
            if (!TryReadNumber(Path.Combine(channel.Directory, $"in_power{channel.Index}_input"), out var milliwatts, out error))
            {
                return false;
            }

            watts = milliwatts / 1000.0;
            return true;
        }

        if (!TryReadNumber(Path.Combine(channel.Directory, $"in{channel.Index}_input"), out var millivolts, out error) ||
            !TryReadNumber(Path.Combine(channel.Directory, $"curr{channel.Index}_input"), out var milliamperes, out error))
        {
            return false;
        }

        watts = millivolts / 1000.0 * (milliamperes / 1000.0);
        return true;
    }

    private static bool IsUsable(string label) =>
        !string.Equals(label, "NC", StringComparison.OrdinalIgnoreCase) &&
        !label.Contains("sum of shunt", StringComparison.OrdinalIgnoreCase);

    private static string? ReadTrimmed(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    internal static bool TryReadNumber(string path, out double value, out string? error)
    {
        value = 0;
        try
        {
            var text = File.ReadAllText(path).Trim();
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
            {
                error = null;
                return true;
            }

            error = $"{path}: not a number ('{text}')";
            return false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = $"{path}: {ex.Message}";
            return false;
        }
    }
}
