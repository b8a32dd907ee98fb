namespace EdgeCompress.Cli.Demo;

/// <summary>
/// Where the demo's Fashion-MNIST baseline comes from: $EDGEC_DEMO_MODEL, the model the project trained itself and
/// ships beside edgec (src/EdgeCompress.Cli/Demo/fmnist-baseline.onnx, copied to the build output), or one trained
/// earlier and cached in the user's cache folder.
/// </summary>
internal static class DemoBaseline
{
    /// <summary>File name of the shipped and cached baseline.</summary>
    public const string FileName = "fmnist-baseline.onnx";

    /// <summary>The user's cache folder for the demo ($XDG_CACHE_HOME/edgecompress or ~/.cache/edgecompress).</summary>
    public static string CacheDirectory =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } x
            ? x
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "edgecompress");

    /// <summary>An existing baseline, or null when none is found (the demo then trains one).</summary>
    public static string? Find()
    {
        if (Environment.GetEnvironmentVariable("EDGEC_DEMO_MODEL") is { Length: > 0 } env)
        {
            return File.Exists(env) ? env : throw new UsageException($"EDGEC_DEMO_MODEL={env}: file not found");
        }
        var shipped = Path.Combine(AppContext.BaseDirectory, FileName);
        if (File.Exists(shipped))
        {
            return shipped;
        }
        var cached = Path.Combine(CacheDirectory, FileName);
        return File.Exists(cached) ? cached : null;
    }
}
