using System.Diagnostics;

namespace EdgeCompress.Cli.Tests;

/// <summary>Runs alone: publishing compiles edged with NativeAOT and needs the machine's cores.</summary>
[CollectionDefinition(nameof(InstallTests), DisableParallelization = true)]
public sealed class InstallRunsAlone;

/// <summary>
/// An installable edgec: `dotnet publish src/EdgeCompress.Cli -c Release -r linux-x64 -o DIR` gives a folder that
/// works from anywhere, far from the checkout: profiles, the demo's baseline, the training worker and edged travel
/// with it.
/// </summary>
[Collection(nameof(InstallTests))]
[Trait("Category", "process")]
public sealed class InstallTests
{
    [Fact]
    public void A_published_edgec_quantizes_for_a_board_profile_and_trains_from_a_folder_outside_the_checkout()
    {
        var root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "EdgeCompress.sln")))
        {
            root = Path.GetDirectoryName(root);
        }
        Assert.NotNull(root);
        var install = Directory.CreateTempSubdirectory("edgec-install-").FullName;
        var away = Directory.CreateTempSubdirectory("edgec-away-").FullName;
        try
        {
            // A configuration of its own: its obj/ folders are not the ones Daemon.Tests' NativeAOT publish of edged
            // (Release, linux-x64) may be writing at the same time in another test process.
            var (code, log) = Run("dotnet", ["publish", Path.Combine(root, "src/EdgeCompress.Cli"), "-c", "InstallTest", "-r", "linux-x64",
                "-o", install, "-nologo", "--disable-build-servers", "-nodeReuse:false"], away, TimeSpan.FromMinutes(20));
            Assert.True(code == 0, "publish failed:\n" + log);
            var edgec = Path.Combine(install, "edgec");
            Assert.True(File.Exists(Path.Combine(install, "device-profiles", "rpi5.json")), "profiles did not travel");
            Assert.True(File.Exists(Path.Combine(install, "device-profiles", "recipes", "quick.json")), "the shipped recipes did not travel");
            Assert.True(File.Exists(Path.Combine(install, "fmnist-baseline.onnx")), "the demo's baseline did not travel");
            Assert.True(File.Exists(Path.Combine(install, "training-worker", "edgec-train-worker")), "the training worker did not travel");
            Assert.True(File.Exists(Path.Combine(install, "daemon", "edged")), "edged did not travel");

            // A board profile from the install's own folder; nothing from the checkout is reachable from here.
            (code, log) = Run(edgec, ["quantize", Path.Combine(install, "fmnist-baseline.onnx"), "--profile", "rpi5", "--out", "q.onnx",
                "--calibration", "synthetic:8"], away, TimeSpan.FromMinutes(5));
            Assert.True(code == 0, log);
            Assert.True(File.Exists(Path.Combine(away, "q.onnx")));
            Assert.Contains("rpi5", log, StringComparison.Ordinal);

            (code, log) = Run(edgec, ["train", "--out", "t.onnx", "--epochs", "1", "--max-steps", "5", "--eval", "none"], away, TimeSpan.FromMinutes(5));
            Assert.True(code == 0, log);
            Assert.True(File.Exists(Path.Combine(away, "t.onnx")));

            // The shipped recipes are found by name from the install.
            (code, log) = Run(edgec, ["recipes"], away, TimeSpan.FromMinutes(2));
            Assert.True(code == 0, log);
            Assert.Contains(Path.Combine(install, "device-profiles", "recipes", "quick.json"), log, StringComparison.Ordinal);

            // The error for an unknown profile names the install's profiles.
            (code, log) = Run(edgec, ["quantize", Path.Combine(install, "fmnist-baseline.onnx"), "--profile", "rpi9", "--out", "x.onnx"], away, TimeSpan.FromMinutes(2));
            Assert.Equal(2, code);
            Assert.Contains("known profiles: jetson-nano, jetson-orin-nano, rpi4, rpi5, x64-host", log, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(install, recursive: true);
            Directory.Delete(away, recursive: true);
        }
    }

    private static (int Code, string Output) Run(string file, string[] args, string cwd, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = cwd };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        // A user's shell: no profile folder given, no config folder of their own, no build nodes left behind.
        start.Environment["EDGEC_PROFILES"] = "";
        start.Environment["XDG_CONFIG_HOME"] = Path.Combine(cwd, "config");
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["NO_COLOR"] = "1";
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} ran past {timeout}");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
