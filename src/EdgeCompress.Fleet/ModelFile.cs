using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace EdgeCompress.Fleet;

/// <summary>A local model file identified by its SHA-256, which is how the CLI tells whether a device already has it.</summary>
/// <param name="Path">Full path.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the bytes.</param>
/// <param name="Length">Size in bytes.</param>
public sealed partial record ModelFile(string Path, string Sha256, long Length)
{
    /// <summary>The file holding the bytes <see cref="Sha256"/> and <see cref="Length"/> describe: <see cref="Path"/>
    /// itself, or a self-contained copy with external data inlined (owned by a <see cref="ModelUpload"/>).</summary>
    public string UploadPath { get; init; } = Path;

    /// <summary>A store name derived from the file name: "resnet18-int8.onnx" becomes "resnet18-int8".</summary>
    public string DefaultName
    {
        get
        {
            var stem = Unsafe().Replace(System.IO.Path.GetFileNameWithoutExtension(Path), "-").Trim('-', '.', '_');
            stem = stem.Length > 64 ? stem[..64] : stem;
            return stem.Length == 0 ? "model" : stem;
        }
    }

    /// <summary>Hashes <paramref name="path"/>; a usage problem when it is missing or unreadable.</summary>
    public static ModelFile Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FleetException(Directory.Exists(full) ? $"{path} is a folder; give an .onnx file" : $"model file {path} does not exist");
        }

        try
        {
            using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            var hash = SHA256.HashData(stream);
            return new ModelFile(full, Convert.ToHexStringLower(hash), stream.Length);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FleetException($"model file {path} cannot be read: {ex.Message}", ex);
        }
    }

    /// <summary>Checks a user-given store name against the daemon's rule, as a usage problem.</summary>
    public static string CheckName(string name)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(name, EdgeCompress.Protocol.ApiContract.ModelNamePattern) || name.Contains("..", StringComparison.Ordinal))
        {
            throw new FleetException($"--name '{name}' is not a model name: use letters, digits, '.', '-', '_' (at most 64, starting with a letter or digit)");
        }

        return name;
    }

    [GeneratedRegex("[^A-Za-z0-9._-]+")]
    private static partial Regex Unsafe();
}
