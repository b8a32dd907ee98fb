using System.Globalization;
using System.Text.RegularExpressions;

namespace EdgeCompress.Sensors;

/// <summary>
/// Raspberry Pi 5 PMIC telemetry from <c>vcgencmd pmic_read_adc</c>. Rails with both a current (NAME_A) and a
/// voltage (NAME_V) line are multiplied and summed. Some supplies (EXT5V) report voltage only, so the total
/// under-reports the board: it is labelled "PMIC rails", never "board input".
/// </summary>
public sealed partial class PiPmic : IPowerSensor
{
    private readonly ICommandRunner _runner;
    private readonly string _vcgencmd;

    /// <summary>Creates a reader running <paramref name="vcgencmd"/> through <paramref name="runner"/>.</summary>
    public PiPmic(ICommandRunner runner, string vcgencmd)
    {
        _runner = runner;
        _vcgencmd = vcgencmd;
    }

    /// <inheritdoc />
    public string Name => "pi5-pmic";

    /// <inheritdoc />
    public string Measures => "PMIC rails";

    /// <inheritdoc />
    public bool TryReadWatts(out double watts, out string? error)
    {
        watts = 0;
        var output = _runner.TryRun(_vcgencmd, ["pmic_read_adc"], out error);
        if (output is null)
        {
            return false;
        }

        var rails = ParseRails(output);
        if (rails.Count == 0)
        {
            error = "vcgencmd pmic_read_adc printed no rail with both current and voltage (not a Pi 5?)";
            return false;
        }

        watts = rails.Values.Sum();
        return true;
    }

    /// <summary>Parses the command output into watts per rail (only rails with both current and voltage).</summary>
    public static IReadOnlyDictionary<string, double> ParseRails(string output)
    {
        var amperes = new Dictionary<string, double>(StringComparer.Ordinal);
        var volts = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (Match match in LinePattern().Matches(output))
        {
            var value = double.Parse(match.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
            var name = match.Groups["name"].Value;
            if (match.Groups["kind"].Value == "current" && name.EndsWith("_A", StringComparison.Ordinal))
            {
                amperes[name[..^2]] = value;
            }
            else if (match.Groups["kind"].Value == "volt" && name.EndsWith("_V", StringComparison.Ordinal))
            {
                volts[name[..^2]] = value;
            }
        }

        var watts = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var (rail, current) in amperes)
        {
            if (volts.TryGetValue(rail, out var voltage))
            {
                watts[rail] = current * voltage;
            }
        }

        return watts;
    }

    // e.g. "   VDD_CORE_A current(7)=1.42880000A" and " VDD_CORE_V volt(15)=0.90659250V"
    [GeneratedRegex(@"(?<name>[A-Z0-9_]+)\s+(?<kind>current|volt)\(\d+\)=(?<value>[-+0-9.eE]+)[AV]")]
    private static partial Regex LinePattern();
}
