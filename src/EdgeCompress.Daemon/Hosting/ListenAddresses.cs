using System.Net;

namespace EdgeCompress.Daemon.Hosting;

/// <summary>Parses and polices listen URLs: tokens must never cross a network in clear text by accident.</summary>
public static class ListenAddresses
{
    /// <summary>The individual URLs of a ';'-separated list.</summary>
    public static IReadOnlyList<string> Split(string urls) =>
        urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>True when any URL is HTTPS (a certificate is needed).</summary>
    public static bool AnyHttps(string urls) => Split(urls).Any(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase));

    /// <summary>Problems with the URL list, one line each.</summary>
    public static IEnumerable<string> Check(string urls, bool allowPlainHttp)
    {
        var list = Split(urls ?? "");
        if (list.Count == 0)
        {
            yield return "urls: at least one listen address is required, e.g. https://0.0.0.0:8443";
            yield break;
        }

        foreach (var url in list)
        {
            var host = HostOf(url, out var scheme);
            if (host is null)
            {
                yield return $"urls: '{url}' is not a listen address like https://0.0.0.0:8443 or http://127.0.0.1:8080";
            }
            else if (scheme == "http" && !allowPlainHttp && !IsLoopback(host))
            {
                yield return $"urls: plain HTTP on '{url}' would send the token in clear text; use https:// or a loopback address, or set allowPlainHttp";
            }
        }
    }

    /// <summary>True for localhost, 127.0.0.0/8 and ::1.</summary>
    public static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ||
        (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    private static string? HostOf(string url, out string scheme)
    {
        scheme = "";
        var separator = url.IndexOf("://", StringComparison.Ordinal);
        if (separator <= 0)
        {
            return null;
        }

        scheme = url[..separator].ToLowerInvariant();
        if (scheme is not ("http" or "https"))
        {
            return null;
        }

        var rest = url[(separator + 3)..].TrimEnd('/');
        var host = rest.StartsWith('[') ? rest[..(rest.IndexOf(']', StringComparison.Ordinal) + 1)] : rest.Split(':')[0];
        var portText = rest[host.Length..].TrimStart(':');
        if (host.Length == 0 || (portText.Length > 0 && !ushort.TryParse(portText, out _)))
        {
            return null;
        }

        return host;
    }
}
