namespace EdgeCompress.Arm64.Tests.Support;

/// <summary>
/// What the arm64 tests need from the machine. In CI (CI=true) a missing piece is a failure naming what to install,
/// because a silently skipped board test proves nothing; on a developer's machine the test is skipped instead.
/// </summary>
internal static class Toolchain
{
    private const string ArmLib = "/usr/lib/aarch64-linux-gnu";

    /// <summary>clang, lld, llvm-objcopy and the arm64 C runtime NativeAOT links against.</summary>
    public static IReadOnlyList<string> MissingForCrossPublish()
    {
        var missing = new List<string>();
        AddIfNoCommand(missing, "clang", "clang");
        AddIfNoCommand(missing, "ld.lld", "lld");
        AddIfNoCommand(missing, "llvm-objcopy", "llvm");
        AddIfNoFile(missing, $"{ArmLib}/libc.so", "libc6-dev:arm64");
        AddIfNoFile(missing, "/usr/lib/gcc/aarch64-linux-gnu/12/libgcc.a", "libgcc-12-dev:arm64");
        AddIfNoFile(missing, $"{ArmLib}/libz.a", "zlib1g-dev:arm64");
        return missing;
    }

    /// <summary>qemu-user, a private mount namespace (root), and the arm64 libraries edged and ORT load at run time.</summary>
    public static IReadOnlyList<string> MissingForEmulation()
    {
        var missing = new List<string>();
        AddIfNoCommand(missing, "qemu-aarch64-static", "qemu-user-static");
        AddIfNoCommand(missing, "unshare", "util-linux");
        AddIfNoFile(missing, $"{ArmLib}/libstdc++.so.6", "libstdc++6:arm64");
        AddIfNoFile(missing, $"{ArmLib}/libssl.so.3", "libssl3:arm64");
        if (Environment.UserName != "root")
        {
            missing.Add("root (unshare -m bind-mounts an arm64 /proc/cpuinfo)");
        }

        return missing;
    }

    /// <summary>Fails in CI, skips elsewhere, when something is missing.</summary>
    public static void Require(IReadOnlyList<string> missing, string what)
    {
        if (missing.Count == 0)
        {
            return;
        }

        var message = $"{what} needs: {string.Join(", ", missing)} (Debian: sudo bash eng/bootstrap.sh installs them; see eng/apt-packages-arm64.txt and eng/bootstrap.d/30-arm64.sh)";
        Assert.False(string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase), message);
        Skip.If(true, message);
    }

    public static bool HasCommand(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, name)));

    private static void AddIfNoCommand(List<string> missing, string command, string package)
    {
        if (!HasCommand(command))
        {
            missing.Add($"{command} (apt package {package})");
        }
    }

    private static void AddIfNoFile(List<string> missing, string file, string package)
    {
        if (!File.Exists(file))
        {
            missing.Add($"{file} (apt package {package})");
        }
    }
}
