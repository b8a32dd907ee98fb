using System.Net;
using System.Net.Sockets;

namespace EdgeCompress.Testing;

/// <summary>
/// A TCP proxy on 127.0.0.1 in front of a daemon that cuts the first <c>dropCount</c> connections carrying a PUT after
/// a few bytes of body have passed: a flaky link dropping an upload mid-stream. Other connections are relayed whole.
/// </summary>
public sealed class DroppingProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private int _dropsLeft;

    public DroppingProxy(int targetPort, int dropCount)
    {
        _target = targetPort;
        _dropsLeft = dropCount;
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public int Dropped { get; private set; }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                await upstream.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
                var fromClient = client.GetStream();
                var toServer = upstream.GetStream();
                var back = toServer.CopyToAsync(fromClient, _stop.Token);
                var buffer = new byte[4096];
                long putBytes = -1;
                int read;
                while ((read = await fromClient.ReadAsync(buffer, _stop.Token)) > 0)
                {
                    // Kept-alive connections carry several requests; a PUT starts at a write boundary of the client.
                    if (buffer.AsSpan(0, read).StartsWith("PUT "u8))
                    {
                        putBytes = 0;
                    }

                    putBytes = putBytes >= 0 ? putBytes + read : -1;
                    if (putBytes > 2048 && Interlocked.Decrement(ref _dropsLeft) >= 0)
                    {
                        Dropped++;
                        client.Client.LingerState = new LingerOption(true, 0);
                        return;
                    }

                    await toServer.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
                }

                await back;
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // One side went away; the relay for this connection ends with it.
            }
        }
    }
}
