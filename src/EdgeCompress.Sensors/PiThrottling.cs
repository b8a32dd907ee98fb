using System.Globalization;

namespace EdgeCompress.Sensors;

/// <summary>Raspberry Pi throttling state from <c>vcgencmd get_throttled</c> (e.g. "throttled=0x50005").</summary>
public sealed class PiThrottling
{
    private static readonly (int Bit, string Meaning)[] Flags =
    [
        (0, "under-voltage now"),
        (1, "ARM frequency capped now"),
        (2, "throttled now"),
        (3, "soft temperature limit now"),
        (16, "under-voltage occurred"),
        (17, "ARM frequency capping occurred"),
        (18, "throttling occurred"),
        (19, "soft temperature limit occurred"),
    ];

    private readonly ICommandRunner _runner;
    private readonly string _vcgencmd;

    /// <summary>Creates a reader running <paramref name="vcgencmd"/> through <paramref name="runner"/>.</summary>
    public PiThrottling(ICommandRunner runner, string vcgencmd)
    {
        _runner = runner;
        _vcgencmd = vcgencmd;
    }

    /// <summary>Reads the raw flag word; false when not on a Pi or the tool failed.</summary>
    public bool TryRead(out uint flags, out string? error)
    {
        flags = 0;
        var output = _runner.TryRun(_vcgencmd, ["get_throttled"], out error);
        if (output is null)
        {
            return false;
        }

        if (!TryParse(output, out flags))
        {
            error = $"unexpected get_throttled output '{output.Trim()}'";
            return false;
        }

        return true;
    }

    /// <summary>Parses "throttled=0xNNNN".</summary>
    public static bool TryParse(string output, out uint flags)
    {
        flags = 0;
        var text = output.Trim();
        var index = text.IndexOf("=0x", StringComparison.OrdinalIgnoreCase);
        return index >= 0 && uint.TryParse(text.AsSpan(index + 3), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out flags);
    }

    /// <summary>Names the set bits, in bit order.</summary>
    public static IReadOnlyList<string> Describe(uint flags) =>
        Flags.Where(f => (flags & (1u << f.Bit)) != 0).Select(f => f.Meaning).ToArray();
}
