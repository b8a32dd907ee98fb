using System.Text.RegularExpressions;

namespace EdgeCompress.Fleet;

/// <summary>One registered edged: where it is, where its token lives (never the token itself), the pinned TLS
/// certificate fingerprint and the groups it belongs to.</summary>
public sealed partial class DeviceEntry
{
    /// <summary>Device name used on the command line (--device NAME).</summary>
    public string Name { get; set; } = "";

    /// <summary>Base URL of the daemon, e.g. https://pi5.lab:8443.</summary>
    public string Url { get; set; } = "";

    /// <summary>Path of the file holding the bearer token.</summary>
    public string TokenFile { get; set; } = "";

    /// <summary>SHA-256 of the daemon's TLS certificate, colon-separated upper-case hex; null until first contact
    /// (and always null for plain HTTP).</summary>
    public string? FingerprintSha256 { get; set; }

    /// <summary>Groups (--group G), e.g. from an Ansible inventory.</summary>
    public List<string> Groups { get; set; } = [];

    /// <summary>When the device was added.</summary>
    public DateTimeOffset AddedUtc { get; set; }

    /// <summary>True when the URL is https.</summary>
    public bool IsHttps => Url.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>True when <paramref name="name"/> can name a device: a letter or digit, then letters, digits, '.', '-',
    /// '_'; at most 64 characters. "local" is reserved for the in-process engine.</summary>
    public static bool IsValidName(string name) => NamePattern().IsMatch(name) && name != "local";

    /// <summary>Checks a base URL; returns the normalised form (no trailing slash) or throws a usage problem.</summary>
    public static string NormalizeUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
        {
            throw new FleetException($"'{url}' is not a daemon URL like https://pi5.local:8443 or http://127.0.0.1:8080");
        }

        if (uri.AbsolutePath != "/" || uri.Query.Length > 0)
        {
            throw new FleetException($"'{url}' must be the daemon's base URL without a path (e.g. {uri.Scheme}://{uri.Authority})");
        }

        return $"{uri.Scheme}://{uri.Authority}";
    }

    /// <summary>Normalises a fingerprint to upper-case hex without separators, for comparison.</summary>
    public static string CompactFingerprint(string fingerprint) => fingerprint.Replace(":", "", StringComparison.Ordinal).ToUpperInvariant();

    /// <summary>Formats hex as colon-separated byte pairs, the way openssl and browsers print it.</summary>
    public static string DisplayFingerprint(string hex)
    {
        var compact = CompactFingerprint(hex);
        return string.Join(':', Enumerable.Range(0, compact.Length / 2).Select(i => compact.Substring(i * 2, 2)));
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();
}
