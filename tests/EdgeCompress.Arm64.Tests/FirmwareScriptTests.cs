using System.Security.Cryptography;
using EdgeCompress.Arm64.Tests.Support;
using EdgeCompress.Fleet;

namespace EdgeCompress.Arm64.Tests;

/// <summary>The board scripts in firmware-scripts/, run for real against throw-away roots.</summary>
public sealed class FirmwareScriptTests
{
    private static string Scripts => Path.Combine(Processes.RepositoryRoot(), "firmware-scripts");

    [SkippableFact]
    public void Every_firmware_script_is_shellcheck_clean()
    {
        Toolchain.Require(Toolchain.HasCommand("shellcheck") ? [] : ["shellcheck (apt package shellcheck)"], "checking firmware-scripts/*.sh");
        var scripts = Directory.GetFiles(Scripts, "*.sh").Order(StringComparer.Ordinal).ToArray();

        var (exitCode, findings) = Processes.Run("shellcheck", ["--severity=style", "--shell=bash", .. scripts], TimeSpan.FromMinutes(2));

        Assert.True(scripts.Length >= 5, "install, uninstall and three board scripts expected");
        Assert.True(exitCode == 0, "shellcheck findings:\n" + findings);
    }

    [SkippableFact]
    public void The_edged_unit_is_hardened_and_passes_systemd_analyze_verify()
    {
        var unit = File.ReadAllText(Path.Combine(Scripts, "edged.service"));
        foreach (var directive in new[]
                 {
                     "Type=notify", "User=edged", "SupplementaryGroups=gpio i2c", "ProtectSystem=strict", "ReadWritePaths=/var/lib/edged",
                     "NoNewPrivileges=yes", "PrivateTmp=yes", "Restart=on-failure", "WatchdogSec=30s", "ExecStart=/opt/edged/edged --config /etc/edged/edged.json",
                 })
        {
            Assert.Contains(directive, unit, StringComparison.Ordinal);
        }

        Skip.IfNot(Toolchain.HasCommand("systemd-analyze"), "systemd-analyze is not installed (apt package systemd)");
        // verify insists the ExecStart binary exists; here it cannot be /opt/edged/edged, so point it at a stand-in.
        using var folder = new TempFolder();
        var standIn = Path.Combine(folder.Path, "edged");
        File.WriteAllText(standIn, "#!/bin/sh\n");
        File.SetUnixFileMode(standIn, (UnixFileMode)0b111_101_101);
        var copy = Path.Combine(folder.Path, "edged.service");
        File.WriteAllText(copy, unit.Replace("ExecStart=/opt/edged/edged", $"ExecStart={standIn}", StringComparison.Ordinal));

        var (exitCode, complaints) = Processes.Run("systemd-analyze", ["verify", copy], TimeSpan.FromMinutes(1));

        Assert.True(exitCode == 0 && complaints.Trim().Length == 0, $"systemd-analyze verify: {exitCode}\n{complaints}");
    }

    [Fact]
    public void Install_and_uninstall_on_a_machine_without_systemd_say_so_and_change_nothing()
    {
        using var root = new FakeRoot(systemd: false);
        var before = root.Snapshot();
        var hostAccounts = File.ReadAllText("/etc/passwd") + File.ReadAllText("/etc/group");

        var install = root.Script("install.sh");
        var uninstall = root.Script("uninstall.sh", "--purge");

        Assert.Equal(3, install.ExitCode);
        Assert.StartsWith("edged install: systemd is not running on this machine", install.Output, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed.", install.Output, StringComparison.Ordinal);
        Assert.Equal(3, uninstall.ExitCode);
        Assert.StartsWith("edged uninstall: systemd is not running on this machine", uninstall.Output, StringComparison.Ordinal);
        Assert.Equal(before, root.Snapshot());
        Assert.Equal(hostAccounts, File.ReadAllText("/etc/passwd") + File.ReadAllText("/etc/group"));
    }

    [SkippableFact]
    public async Task Install_creates_user_token_and_certificate_edged_accepts_and_a_second_run_changes_nothing()
    {
        Skip.IfNot(Environment.UserName == "root" && Toolchain.HasCommand("useradd") && Toolchain.HasCommand("openssl"),
            "needs root, useradd (passwd) and openssl");
        using var root = new FakeRoot(systemd: true);

        var first = root.Script("install.sh");
        var second = root.Script("install.sh");

        Assert.True(first.ExitCode == 0, first.Output);
        foreach (var step in new[] { "created group gpio", "created group i2c", "created system user edged", "added edged to group gpio",
                     "installed edged 0.1.0 in /opt/edged", "wrote /etc/edged/edged.json", "created bearer token /etc/edged/token",
                     "created TLS certificate /var/lib/edged/tls.pfx", "installed /etc/systemd/system/edged.service" })
        {
            Assert.Contains($"edged install: {step}", first.Output, StringComparison.Ordinal);
        }

        Assert.True(second.ExitCode == 0, second.Output);
        Assert.Contains("edged install: edged 0.1.0 already installed; nothing changed", second.Output, StringComparison.Ordinal);
        Assert.Contains("edged:x:", File.ReadAllText(root.At("etc/passwd")), StringComparison.Ordinal);
        Assert.Contains(":/usr/sbin/nologin", File.ReadAllLines(root.At("etc/passwd")).Single(l => l.StartsWith("edged:", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.All(new[] { "gpio", "i2c" }, g => Assert.EndsWith(":edged", File.ReadAllLines(root.At("etc/group")).Single(l => l.StartsWith(g + ":", StringComparison.Ordinal)), StringComparison.Ordinal));
        var token = File.ReadAllText(root.At("etc/edged/token")).Trim();
        Assert.Matches("^[0-9a-f]{64}$", token);
        Assert.Equal((UnixFileMode)0b110_100_000, File.GetUnixFileMode(root.At("etc/edged/token")));
        Assert.Equal((UnixFileMode)0b110_000_000, File.GetUnixFileMode(root.At("var/lib/edged/tls.pfx")));
        Assert.Equal(File.ReadAllText(Path.Combine(Scripts, "edged.service")), File.ReadAllText(root.At("etc/systemd/system/edged.service")));

        // The real daemon must take what install.sh made: its token authenticates, its certificate is served.
        var printed = first.Output.Split('\n').Single(l => l.Contains("created TLS certificate", StringComparison.Ordinal));
        var fingerprint = DeviceEntry.CompactFingerprint(printed[(printed.IndexOf("SHA-256 ", StringComparison.Ordinal) + 8)..].TrimEnd(')', ' ', '\r'));
        using var edged = await LiveEdged.StartAsync(https: true, profile: "rpi4",
            extra: ["--cert", root.At("var/lib/edged/tls.pfx"), "--token-file", root.At("etc/edged/token")]);
        var entry = edged.Entry("installed", fingerprint);
        entry.TokenFile = root.At("etc/edged/token");
        using var client = new EdgedClient(entry, TimeSpan.FromSeconds(60)); // generous: CI machines are shared
        var device = await client.DeviceAsync(CancellationToken.None);
        Assert.Equal(fingerprint, DeviceEntry.CompactFingerprint(device.TlsFingerprintSha256!));
    }

    [SkippableFact]
    public void Uninstall_removes_program_and_unit_keeps_token_and_models_and_purge_removes_the_rest()
    {
        Skip.IfNot(Environment.UserName == "root" && Toolchain.HasCommand("useradd") && Toolchain.HasCommand("openssl"),
            "needs root, useradd (passwd) and openssl");
        using var root = new FakeRoot(systemd: true);
        Assert.Equal(0, root.Script("install.sh").ExitCode);

        var keep = root.Script("uninstall.sh");
        var again = root.Script("uninstall.sh");
        var token = File.Exists(root.At("etc/edged/token"));
        var purge = root.Script("uninstall.sh", "--purge");

        Assert.True(keep.ExitCode == 0, keep.Output);
        Assert.Contains("removed /opt/edged", keep.Output, StringComparison.Ordinal);
        Assert.Contains("removed /etc/systemd/system/edged.service", keep.Output, StringComparison.Ordinal);
        Assert.True(token, "the token went with a plain uninstall");
        Assert.Contains("edged is not installed; nothing changed", again.Output, StringComparison.Ordinal);
        Assert.True(purge.ExitCode == 0, purge.Output);
        Assert.False(Directory.Exists(root.At("etc/edged")) || Directory.Exists(root.At("var/lib/edged")), "purge left state behind");
        Assert.DoesNotContain("edged:", File.ReadAllText(root.At("etc/passwd")), StringComparison.Ordinal);
    }

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("edged-unit-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
