using System.Security.Cryptography;

namespace EdgeCompress.Arm64.Tests.Support;

/// <summary>
/// A throw-away root folder for the firmware scripts (EDGED_INSTALL_ROOT / EDGED_BOARD_ROOT), with a minimal
/// account database, and an unpacked-tarball look-alike whose scripts are the repository's own.
/// </summary>
internal sealed class FakeRoot : IDisposable
{
    public FakeRoot(bool systemd)
    {
        Path = Directory.CreateTempSubdirectory("edged-fake-root-").FullName;
        Bundle = Path + "-bundle";
        Directory.CreateDirectory(At("etc"));
        File.WriteAllText(At("etc/passwd"), "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
        File.WriteAllText(At("etc/group"), "root:x:0:\nnogroup:x:65534:\n");
        File.WriteAllText(At("etc/shadow"), "root:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n");
        File.WriteAllText(At("etc/gshadow"), "root:*::\nnogroup:*::\n");
        if (systemd)
        {
            Directory.CreateDirectory(At("run/systemd/system"));
        }

        var repository = Processes.RepositoryRoot();
        Directory.CreateDirectory(System.IO.Path.Combine(Bundle, "firmware-scripts"));
        Directory.CreateDirectory(System.IO.Path.Combine(Bundle, "device-profiles"));
        foreach (var script in Directory.GetFiles(System.IO.Path.Combine(repository, "firmware-scripts")))
        {
            File.Copy(script, System.IO.Path.Combine(Bundle, "firmware-scripts", System.IO.Path.GetFileName(script)));
        }

        File.Copy(System.IO.Path.Combine(repository, "device-profiles/rpi4.json"), System.IO.Path.Combine(Bundle, "device-profiles/rpi4.json"));
        File.WriteAllText(System.IO.Path.Combine(Bundle, "edged"), "#!/bin/sh\necho 'a stand-in for the daemon'\n");
        File.WriteAllText(System.IO.Path.Combine(Bundle, "libonnxruntime.so"), "not really a library");
        File.WriteAllText(System.IO.Path.Combine(Bundle, "VERSION"), "0.1.0\n");
        File.WriteAllText(System.IO.Path.Combine(Bundle, "edged.json"),
            File.ReadAllText(System.IO.Path.Combine(repository, "eng/edged.json.template")).Replace("@PROFILE@", "rpi4", StringComparison.Ordinal));
    }

    public string Path { get; }

    public string Bundle { get; }

    public string At(string relative) => System.IO.Path.Combine(Path, relative);

    /// <summary>Runs a bundled script with this folder as its root.</summary>
    public (int ExitCode, string Output) Script(string name, params string[] arguments) =>
        Processes.Run("bash", [System.IO.Path.Combine(Bundle, "firmware-scripts", name), .. arguments], TimeSpan.FromMinutes(2),
            new Dictionary<string, string> { ["EDGED_INSTALL_ROOT"] = Path, ["EDGED_BOARD_ROOT"] = Path });

    /// <summary>Every file and folder below the root with its content hash, mode and owner: "changed nothing" is this being equal.</summary>
    public IReadOnlyDictionary<string, string> Snapshot()
    {
        var state = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in new DirectoryInfo(Path).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
        {
            var content = entry is FileInfo file ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file.FullName))) : "dir";
            state[System.IO.Path.GetRelativePath(Path, entry.FullName)] = $"{content} {entry.UnixFileMode} {entry.LastWriteTimeUtc.Ticks}";
        }

        return state;
    }

    public void Dispose()
    {
        Directory.Delete(Path, recursive: true);
        Directory.Delete(Bundle, recursive: true);
    }
}
