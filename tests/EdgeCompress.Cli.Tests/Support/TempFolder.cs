namespace EdgeCompress.Cli.Tests.Support;

/// <summary>A temporary folder deleted after the test; lists its files so tests can check nothing was written.</summary>
public sealed class TempFolder : IDisposable
{
    public DirectoryInfo Dir { get; } = Directory.CreateTempSubdirectory("edgec-cli-");

    public string PathOf(string name) => Path.Combine(Dir.FullName, name);

    public string Write(string name, byte[] bytes)
    {
        var path = PathOf(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Names and sizes of every file, to compare before and after a command.</summary>
    public string[] Snapshot() =>
        Dir.EnumerateFiles("*", SearchOption.AllDirectories).Select(f => $"{f.Name}:{f.Length}:{f.LastWriteTimeUtc.Ticks}").Order(StringComparer.Ordinal).ToArray();

    public void Dispose() => Dir.Delete(recursive: true);
}
