using System.Runtime.InteropServices;

namespace EdgeCompress.Runtime;

/// <summary>This machine's instruction-set architecture as uname spells it ("x86_64", "aarch64", "armv7l"): what
/// edged reports, what device profiles name, and what local results are grouped by.</summary>
public static class HostArchitecture
{
    /// <summary>uname's spelling of this host's architecture.</summary>
    public static string Uname { get; } = RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "x86_64",
        Architecture.Arm64 => "aarch64",
        Architecture.Arm => "armv7l",
        var other => other.ToString().ToLowerInvariant(),
    };
}
