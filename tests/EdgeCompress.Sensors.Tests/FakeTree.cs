namespace EdgeCompress.Sensors.Tests;

/// <summary>A throw-away directory standing in for "/", filled with the files a kernel would expose.</summary>
internal sealed class FakeTree : IDisposable
{
    public FakeTree() => Directory.CreateDirectory(Root);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "edgec-sysfs-" + Guid.NewGuid().ToString("N"));

    public SensorPaths Paths => new(Root);

    public FakeTree File(string relative, string content)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, content + "\n");
        return this;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

/// <summary>Replays recorded command output instead of running vcgencmd.</summary>
internal sealed class RecordedCommands : ICommandRunner
{
    private readonly Dictionary<string, string?> _outputs = new(StringComparer.Ordinal);

    public RecordedCommands On(string arguments, string? output)
    {
        _outputs[arguments] = output;
        return this;
    }

    public string? TryRun(string fileName, IReadOnlyList<string> arguments, out string? error)
    {
        if (_outputs.TryGetValue(string.Join(' ', arguments), out var output) && output is not null)
        {
            error = null;
            return output;
        }

        error = $"{fileName} not found";
        return null;
    }
}
