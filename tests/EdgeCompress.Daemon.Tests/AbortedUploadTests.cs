using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using EdgeCompress.Protocol;

namespace EdgeCompress.Daemon.Tests;

public class AbortedUploadTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_chunked_upload_cut_off_mid_body_is_one_warning_with_the_byte_count_and_leaves_no_model(bool reset)
    {
        using var edged = await EdgedProcess.StartAsync();
        try
        {
            var model = TestModels.Mlp(seed: 30);
            const int firstChunk = 20_000;
            const int sentOfSecond = 5_000;

            using (var client = new TcpClient())
            {
                await client.ConnectAsync(IPAddress.Loopback, edged.BaseAddress.Port);
                var stream = client.GetStream();
                var head = $"PUT /v1/models/torn HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {edged.Token}\r\n" +
                    $"{ApiContract.ContentSha256Header}: {TestModels.Sha256(model)}\r\nTransfer-Encoding: chunked\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"{firstChunk:x}\r\n"));
                await stream.WriteAsync(model.AsMemory(0, firstChunk));
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"\r\n{model.Length - firstChunk:x}\r\n"));
                await stream.WriteAsync(model.AsMemory(firstChunk, sentOfSecond));
                await stream.FlushAsync();

                // Let edged take in everything sent, then go away mid-chunk: RST (a killed client) or FIN (a closed one).
                await WaitForAsync(() => Directory.EnumerateFiles(Path.Combine(edged.Store, "tmp")).Any(f => new FileInfo(f).Length == firstChunk + sentOfSecond));
                if (reset)
                {
                    client.Client.LingerState = new LingerOption(true, 0);
                }
                else
                {
                    client.Client.Shutdown(SocketShutdown.Send);
                }
            }

            var line = new Regex("upload of 'torn' aborted by the client after (?<bytes>[0-9]+) bytes");
            await WaitForAsync(() => line.IsMatch(edged.Output));
            using var model404 = await edged.Client.GetAsync("/v1/models/torn");

            Assert.Equal((firstChunk + sentOfSecond).ToString(System.Globalization.CultureInfo.InvariantCulture), line.Match(edged.Output).Groups["bytes"].Value);
            Assert.Contains(edged.Output.Split('\n'), l => l.StartsWith("warn: ", StringComparison.Ordinal) && line.IsMatch(l));
            Assert.DoesNotContain(edged.Output.Split('\n'), l => l.StartsWith("fail: ", StringComparison.Ordinal) || l.StartsWith("crit: ", StringComparison.Ordinal));
            Assert.DoesNotContain("unhandled", edged.Output, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(HttpStatusCode.NotFound, model404.StatusCode);
            Assert.Empty(Directory.GetFiles(Path.Combine(edged.Store, "tmp")));
            Assert.False(Directory.Exists(Path.Combine(edged.Store, "models", "torn")));
        }
        finally
        {
            Directory.Delete(edged.Store, recursive: true);
        }
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(20);
        }
    }
}
