using System.Security.Cryptography;
using System.Text;

namespace EdgeCompress.Daemon.Hosting;

/// <summary>The bearer token: read from the token file, or generated (256 random bits) and written owner-only on first start.</summary>
public sealed class TokenFile
{
    private readonly byte[] _tokenHash;

    private TokenFile(string token) => _tokenHash = SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>True when the file did not exist and was created now.</summary>
    public bool Created { get; private init; }

    /// <summary>Loads or creates the token at <paramref name="path"/>.</summary>
    public static TokenFile LoadOrCreate(string path)
    {
        try
        {
            if (File.Exists(path))
            {
                var token = File.ReadAllText(path).Trim();
                if (token.Length < 16)
                {
                    throw new StartupException($"token file {path} holds {token.Length} characters; at least 16 are required (delete it to get a new random token)");
                }

                return new TokenFile(token);
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var fresh = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            var temp = path + ".tmp";
            using (var stream = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                stream.Write(Encoding.UTF8.GetBytes(fresh + "\n"));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: false);
            return new TokenFile(fresh) { Created = true };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"token file {path}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Compares a presented token in constant time: both sides are hashed first so neither the content nor the
    /// length of the real token leaks through timing.
    /// </summary>
    public bool Matches(ReadOnlySpan<char> presented)
    {
        Span<byte> hash = stackalloc byte[32];
        var bytes = Encoding.UTF8.GetBytes(presented.ToArray());
        SHA256.HashData(bytes, hash);
        return CryptographicOperations.FixedTimeEquals(hash, _tokenHash);
    }
}
