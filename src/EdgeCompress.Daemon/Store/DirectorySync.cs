using System.Runtime.InteropServices;

namespace EdgeCompress.Daemon.Store;

/// <summary>
/// fsync on a directory. A rename is only durable once the directory holding the new name is on disk; without this a
/// power cut right after a store commit can bring the board back with the model missing even though the API said 201.
/// .NET cannot open a directory as a stream, so this goes to libc directly.
/// </summary>
internal static partial class DirectorySync
{
    private const int OpenReadOnly = 0;
    private const int OpenDirectory = 0x10000; // O_DIRECTORY on x86-64 and aarch64 Linux alike
    private const int OpenCloseOnExec = 0x80000;

    /// <summary>Flushes the directory entry table of <paramref name="path"/>; false where the OS refused (not Linux, odd filesystem).</summary>
    public static bool Flush(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        var fd = Open(path, OpenReadOnly | OpenDirectory | OpenCloseOnExec);
        if (fd < 0)
        {
            return false;
        }

        try
        {
            return Fsync(fd) == 0;
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
