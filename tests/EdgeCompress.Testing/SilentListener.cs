using System.Net;
using System.Net.Sockets;

namespace EdgeCompress.Testing;

/// <summary>A TCP port on 127.0.0.1 that accepts connections (the kernel completes the handshake) but never answers:
/// a hung board, as seen by the client.</summary>
public sealed class SilentListener : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public SilentListener() => _listener.Start();

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public void Dispose() => _listener.Dispose();

    /// <summary>A port nothing listens on (bound once, then released).</summary>
    public static string ClosedUrl()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return $"http://127.0.0.1:{port}";
    }
}
