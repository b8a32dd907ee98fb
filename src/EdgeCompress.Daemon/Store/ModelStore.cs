using System.Globalization;
using System.Text.RegularExpressions;
using EdgeCompress.Daemon.Hosting;
using EdgeCompress.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeCompress.Daemon.Store;

/// <summary>
/// Versioned model files under Store/models/NAME/vN-SHA256.onnx. An upload only becomes visible through one atomic
/// rename of a fully written, flushed, checksummed and ONNX Runtime-validated temp file, so a crash at any point
/// leaves either the old store or the new one, never a partial model. The checksum lives in the file name, so
/// there is no second file to keep consistent.
/// </summary>
public sealed partial class ModelStore
{
    private readonly EdgedOptions _options;
    private readonly ILogger<ModelStore> _logger;
    private readonly Lock _gate = new();
    private readonly SortedDictionary<string, List<ModelVersionInfo>> _models = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Name, int Version), int> _pins = [];

    /// <summary>Creates the store over the configured directory; call <see cref="Open"/> before use.</summary>
    public ModelStore(IOptions<EdgedOptions> options, ILogger<ModelStore> logger)
    {
        _options = options.Value;
        _logger = logger;
        // Absolute, so every path handed to ONNX Runtime (and echoed in its errors) starts with Root and can be hidden.
        Root = Path.GetFullPath(_options.Store);
        ModelsDirectory = Path.Combine(Root, "models");
        TempDirectory = Path.Combine(Root, "tmp");
        QuarantineDirectory = Path.Combine(Root, "quarantine");
    }

    /// <summary>The store directory, absolute.</summary>
    public string Root { get; }

    /// <summary>Store/models.</summary>
    public string ModelsDirectory { get; }

    /// <summary>Store/tmp: uploads in progress.</summary>
    public string TempDirectory { get; }

    /// <summary>Store/quarantine: files that failed their checksum at start.</summary>
    public string QuarantineDirectory { get; }

    /// <summary>The configured quota.</summary>
    public long QuotaBytes => _options.QuotaBytes;

    /// <summary>True when <paramref name="name"/> is a safe model name (no separators, no "..", bounded).</summary>
    public static bool IsValidName(string name) => NamePattern().IsMatch(name) && !name.Contains("..", StringComparison.Ordinal);

    /// <summary>Creates directories, drops uploads a crash left behind, and indexes the stored files.</summary>
    public void Open()
    {
        try
        {
            Directory.CreateDirectory(ModelsDirectory);
            Directory.CreateDirectory(TempDirectory);
            var leftovers = Directory.GetFiles(TempDirectory);
            foreach (var file in leftovers)
            {
                File.Delete(file);
            }

            if (leftovers.Length > 0)
            {
                Log.TempFilesRemoved(_logger, leftovers.Length);
            }

            lock (_gate)
            {
                _models.Clear();
                foreach (var directory in Directory.EnumerateDirectories(ModelsDirectory))
                {
                    var name = Path.GetFileName(directory);
                    var versions = Directory.EnumerateFiles(directory, "*.onnx").Select(f => Describe(name, f)).OfType<ModelVersionInfo>()
                        .OrderBy(v => v.Version).ToList();
                    if (versions.Count > 0 && IsValidName(name))
                    {
                        _models[name] = versions;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"store {_options.Store}: {ex.Message}", ex);
        }
    }

    /// <summary>Every model and its versions.</summary>
    public IReadOnlyList<ModelInfo> List()
    {
        lock (_gate)
        {
            return _models.Select(m => new ModelInfo { Name = m.Key, Versions = m.Value.ToArray() }).ToArray();
        }
    }

    /// <summary>One model, or null.</summary>
    public ModelInfo? Find(string name)
    {
        lock (_gate)
        {
            return _models.TryGetValue(name, out var versions) ? new ModelInfo { Name = name, Versions = versions.ToArray() } : null;
        }
    }

    /// <summary>The file of a version (newest when <paramref name="version"/> is null), or null.</summary>
    public (ModelVersionInfo Info, string Path)? Resolve(string name, int? version)
    {
        lock (_gate)
        {
            if (!_models.TryGetValue(name, out var versions))
            {
                return null;
            }

            var info = version is null ? versions[^1] : versions.FirstOrDefault(v => v.Version == version);
            return info is null ? null : (info, PathOf(info));
        }
    }

    /// <summary>Bytes used by stored versions.</summary>
    public long UsedBytes()
    {
        lock (_gate)
        {
            return _models.Values.SelectMany(v => v).Sum(v => v.SizeBytes);
        }
    }

    /// <summary>Deletes one version or all; returns how many files went.</summary>
    public int Delete(string name, int? version)
    {
        lock (_gate)
        {
            if (!_models.TryGetValue(name, out var versions))
            {
                return 0;
            }

            var doomed = versions.Where(v => version is null || v.Version == version).ToList();
            foreach (var info in doomed)
            {
                File.Delete(PathOf(info));
                versions.Remove(info);
            }

            if (versions.Count == 0)
            {
                _models.Remove(name);
                TryDeleteEmptyDirectory(Path.Combine(ModelsDirectory, name));
            }

            if (doomed.Count > 0)
            {
                Log.ModelDeleted(_logger, name, doomed.Count);
            }

            return doomed.Count;
        }
    }

    /// <summary>
    /// Keeps a version from being pruned by newer uploads while a queued benchmark still needs it. An explicit
    /// DELETE still removes it (the user asked); the job then fails saying so.
    /// </summary>
    public void Pin(ModelVersionInfo info)
    {
        lock (_gate)
        {
            _pins[(info.Name, info.Version)] = _pins.GetValueOrDefault((info.Name, info.Version)) + 1;
        }
    }

    /// <summary>Releases a <see cref="Pin"/>.</summary>
    public void Unpin(ModelVersionInfo info)
    {
        lock (_gate)
        {
            var key = (info.Name, info.Version);
            if (_pins.TryGetValue(key, out var count) && count > 1)
            {
                _pins[key] = count - 1;
            }
            else
            {
                _pins.Remove(key);
            }
        }
    }

    internal string PathOf(ModelVersionInfo info) =>
        Path.Combine(ModelsDirectory, info.Name, $"v{info.Version.ToString(CultureInfo.InvariantCulture)}-{info.Sha256}.onnx");

    internal static ModelVersionInfo? Describe(string name, string file)
    {
        var match = FilePattern().Match(Path.GetFileName(file));
        if (!match.Success)
        {
            return null;
        }

        var fileInfo = new FileInfo(file);
        return new ModelVersionInfo
        {
            Name = name,
            Version = int.Parse(match.Groups["version"].Value, CultureInfo.InvariantCulture),
            Sha256 = match.Groups["sha"].Value,
            SizeBytes = fileInfo.Length,
            CreatedUtc = fileInfo.LastWriteTimeUtc,
        };
    }

    private static void TryDeleteEmptyDirectory(string directory)
    {
        try
        {
            if (Directory.Exists(directory) && !Directory.EnumerateFileSystemEntries(directory).Any())
            {
                Directory.Delete(directory);
            }
        }
        catch (IOException)
        {
            // A concurrent upload just created a file there; the directory is in use again.
        }
    }

    [GeneratedRegex(ApiContract.ModelNamePattern)]
    private static partial Regex NamePattern();

    [GeneratedRegex("^v(?<version>[0-9]{1,9})-(?<sha>[0-9a-f]{64})\\.onnx$")]
    private static partial Regex FilePattern();
}
