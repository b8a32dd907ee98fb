using System.Diagnostics;
using System.Runtime.InteropServices;

namespace EdgeCompress.Training;

/// <summary>How to start the training worker on this host: the executable, and the environment it needs.</summary>
/// <param name="FileName">Executable to run (the worker's apphost, or a copy patched to use the private runtime).</param>
/// <param name="Environment">Variables to set for the worker only (never for this process).</param>
/// <param name="UsesPrivateRuntime">True when started through the private C runtime (Debian 12 and older).</param>
public sealed record WorkerLaunch(string FileName, IReadOnlyDictionary<string, string> Environment, bool UsesPrivateRuntime);

/// <summary>
/// Finds the training worker and decides how to start it. Looked up in order: EDGEC_TRAINING_WORKER (the worker's
/// folder or executable), a training-worker folder next to this program, and the build output of
/// src/EdgeCompress.Training.Worker in a source checkout above this program.
/// Why the private runtime: TorchSharp's native library needs GLIBCXX_3.4.32; where the system libstdc++ is older
/// (Debian 12) the worker runs through the Debian 13 loader and libraries that eng/bootstrap.d/20-torch-runtime.sh
/// unpacks, via a copy of its apphost whose ELF interpreter points there. This process is never affected.
/// </summary>
public static class WorkerLocator
{
    /// <summary>The worker's executable name (AssemblyName of EdgeCompress.Training.Worker).</summary>
    public const string WorkerName = "edgec-train-worker";

    private const string PatchedSuffix = ".private-rt";

    private static readonly string[] Configurations = ["Release", "Debug"];

    private static readonly Lock PatchGate = new();

    /// <summary>Folder of the private runtime's libraries (EDGEC_TORCH_RUNTIME overrides the root).</summary>
    public static string PrivateRuntimeLibDir =>
        Path.Combine(System.Environment.GetEnvironmentVariable("EDGEC_TORCH_RUNTIME") is { Length: > 0 } r ? r : "/opt/edgecompress/torch-runtime", "lib");

    /// <summary>Finds the worker and prepares its launch, or throws <see cref="TrainingException"/> saying what to run.</summary>
    public static WorkerLaunch Locate()
    {
        var apphost = FindWorker();
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        // OpenMP threads that spin while waiting burn their core share on a busy or shared machine and slow
        // training there several-fold; passive waiting costs little on an idle one. A user's setting wins.
        if (System.Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null)
        {
            env["OMP_WAIT_POLICY"] = "PASSIVE";
        }
        // libtorch 2.10's oneDNN convolutions produce NaN, intermittently, for channel counts that are not a multiple
        // of 16 (seen on an AMD EPYC with AVX-512/VNNI): the AVX-512 kernels gave all-NaN forward outputs for a pruned
        // conv with 24 input channels (14 of 16 two-thread fine-tunes); under an AVX2 cap 20 of 20 were fine, but the
        // AVX2 kernels still left NaN weights after two steps in 5 of 10 fine-tunes of a 1->11 channel conv (finite
        // loss). Under an SSE4.1 cap: 0 of 10. It costs about a fifth of the training throughput on these nets
        // (1,100 -> 860 img/s). A user's setting wins.
        if (System.Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA") is null && System.Environment.GetEnvironmentVariable("DNNL_MAX_CPU_ISA") is null)
        {
            env["ONEDNN_MAX_CPU_ISA"] = "SSE41";
        }
        if (DotnetRoot() is { } root)
        {
            env["DOTNET_ROOT"] = root;
        }
        if (!NeedsPrivateRuntime())
        {
            return new WorkerLaunch(apphost, env, false);
        }
        var lib = PrivateRuntimeLibDir;
        var loader = Path.Combine(lib, "ld-linux-x86-64.so.2");
        if (!File.Exists(loader) || !File.Exists(Path.Combine(lib, "libstdc++.so.6")))
        {
            throw new TrainingException(TrainingErrorKind.Setup,
                $"this system's libstdc++ lacks GLIBCXX_3.4.32, which TorchSharp needs, and the private runtime is missing at {lib}; run: sudo bash eng/bootstrap.sh");
        }
        env["LD_LIBRARY_PATH"] = lib;
        return new WorkerLaunch(PatchedApphost(apphost, loader), env, true);
    }

    /// <summary>True on x86-64 Linux when the system libstdc++ does not provide GLIBCXX_3.4.32.</summary>
    public static bool NeedsPrivateRuntime()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return false;
        }
        string[] candidates = ["/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6"];
        var lib = candidates.FirstOrDefault(File.Exists);
        return lib is null || !ContainsAscii(File.ReadAllBytes(lib), "GLIBCXX_3.4.32");
    }

    private static bool ContainsAscii(byte[] haystack, string needle) =>
        haystack.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(needle)) >= 0;

    private static string FindWorker()
    {
        var exe = WorkerName + (OperatingSystem.IsWindows() ? ".exe" : "");
        if (System.Environment.GetEnvironmentVariable("EDGEC_TRAINING_WORKER") is { Length: > 0 } given)
        {
            var path = Directory.Exists(given) ? Path.Combine(given, exe) : given;
            return File.Exists(path) ? path : throw new TrainingException(TrainingErrorKind.Setup, $"EDGEC_TRAINING_WORKER={given}: no {exe} there");
        }
        var beside = Path.Combine(AppContext.BaseDirectory, "training-worker", exe);
        if (File.Exists(beside))
        {
            return beside;
        }
        // Source checkout: the newest build of the worker project (Release preferred on ties).
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var bin = Path.Combine(dir.FullName, "src", "EdgeCompress.Training.Worker", "bin");
            if (!Directory.Exists(bin))
            {
                continue;
            }
            var found = Configurations
                .Select(c => Path.Combine(bin, c, "net10.0", exe))
                .Where(File.Exists)
                .OrderByDescending(File.GetLastWriteTimeUtc)
                .FirstOrDefault();
            if (found is not null)
            {
                return found;
            }
        }
        throw new TrainingException(TrainingErrorKind.Setup,
            $"training worker {exe} not found; build it (dotnet build src/EdgeCompress.Training.Worker) or set EDGEC_TRAINING_WORKER to its folder");
    }

    /// <summary>The .NET install this process runs on, so the worker uses the same one.</summary>
    private static string? DotnetRoot()
    {
        if (System.Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } r)
        {
            return r;
        }
        // .../shared/Microsoft.NETCore.App/<version>/ -> the install root three levels up.
        var runtimeDir = new DirectoryInfo(RuntimeEnvironment.GetRuntimeDirectory().TrimEnd('/'));
        return runtimeDir.Parent?.Parent?.Parent?.FullName;
    }

    /// <summary>
    /// A copy of the worker's apphost, next to it (the apphost finds its .dll beside itself), with its ELF
    /// interpreter set to the private loader. Rebuilt when the apphost is newer; written under a temporary name
    /// and renamed so concurrent runs never see a half-patched file.
    /// </summary>
    private static string PatchedApphost(string apphost, string loader)
    {
        lock (PatchGate)
        {
            return PatchedApphostLocked(apphost, loader);
        }
    }

    private static string PatchedApphostLocked(string apphost, string loader)
    {
        var patched = apphost + PatchedSuffix;
        if (File.Exists(patched) && File.GetLastWriteTimeUtc(patched) >= File.GetLastWriteTimeUtc(apphost))
        {
            return patched;
        }
        var tmp = $"{patched}.{Guid.NewGuid():N}.tmp";
        try
        {
            File.Copy(apphost, tmp, overwrite: true);
            var psi = new ProcessStartInfo("patchelf", ["--set-interpreter", loader, tmp]) { RedirectStandardError = true, UseShellExecute = false };
            using var p = Process.Start(psi) ?? throw new TrainingException(TrainingErrorKind.Setup, "could not start patchelf");
            var err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                throw new TrainingException(TrainingErrorKind.Setup, $"patchelf failed on {tmp}: {err.Trim()}");
            }
            File.Move(tmp, patched, overwrite: true);
            return patched;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new TrainingException(TrainingErrorKind.Setup, "patchelf is not installed (apt package patchelf); run: sudo bash eng/bootstrap.sh");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new TrainingException(TrainingErrorKind.Setup, $"cannot write the patched worker next to {apphost}: {e.Message}");
        }
        finally
        {
            if (File.Exists(tmp))
            {
                File.Delete(tmp);
            }
        }
    }
}
