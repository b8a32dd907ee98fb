using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using EdgeCompress.Protocol;

namespace EdgeCompress.Daemon.Tests;

public class ConcurrencyTests
{
    [Fact]
    public async Task Twenty_clients_uploading_listing_and_benchmarking_get_no_5xx_and_lose_no_model()
    {
        using var edged = await EdgedProcess.StartAsync();
        try
        {
            var failures = new ConcurrentBag<string>();
            var pushed = new ConcurrentDictionary<string, string>(); // "name/version" -> sha the client sent
            var benchmarks = new ConcurrentBag<string>();
            var requests = 0;
            var until = DateTime.UtcNow.AddSeconds(12);

            async Task Client(int client)
            {
                var random = new Random(client);
                var round = 0;
                while (DateTime.UtcNow < until && round < 200)
                {
                    round++;
                    var name = $"c{client % 5}"; // five names shared by four clients each: concurrent versions
                    HttpResponseMessage response;
                    switch (random.Next(4))
                    {
                        case 0:
                            var model = TestModels.Mlp(width: 32, layers: 1, seed: (client * 1000) + round);
                            using (var content = new ByteArrayContent(model))
                            {
                                content.Headers.Add(ApiContract.ContentSha256Header, TestModels.Sha256(model));
                                response = await edged.Client.PutAsync($"/v1/models/{name}", content);
                            }

                            if (response.StatusCode == HttpStatusCode.Created)
                            {
                                var info = JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), ProtocolJsonContext.Default.ModelVersionInfo)!;
                                if (!pushed.TryAdd($"{name}/{info.Version}", TestModels.Sha256(model)))
                                {
                                    failures.Add($"version {name}/{info.Version} handed out twice");
                                }
                            }

                            break;
                        case 1:
                            response = await edged.Client.GetAsync("/v1/models");
                            break;
                        case 2:
                            response = await edged.Client.PostAsync("/v1/benchmarks", EdgedProcess.Json(new BenchmarkRequest { Model = name, Iterations = 20, Warmup = 0 }));
                            if (response.StatusCode == HttpStatusCode.Accepted)
                            {
                                benchmarks.Add(JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), ProtocolJsonContext.Default.BenchmarkAccepted)!.Id);
                            }

                            break;
                        default:
                            response = await edged.Client.GetAsync("/metrics");
                            break;
                    }

                    Interlocked.Increment(ref requests);
                    if ((int)response.StatusCode >= 500)
                    {
                        failures.Add($"{response.RequestMessage!.Method} {response.RequestMessage.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    }

                    response.Dispose();
                }
            }

            await Task.WhenAll(Enumerable.Range(0, 20).Select(Client));

            Assert.Empty(failures);
            Assert.True(requests > 100, $"only {requests} requests");
            var list = JsonSerializer.Deserialize(await edged.Client.GetStringAsync("/v1/models"), ProtocolJsonContext.Default.ModelListResponse)!;
            foreach (var version in list.Models.SelectMany(m => m.Versions))
            {
                Assert.Equal(pushed[$"{version.Name}/{version.Version}"], version.Sha256);
                var bytes = await File.ReadAllBytesAsync(Path.Combine(edged.Store, "models", version.Name, $"v{version.Version}-{version.Sha256}.onnx"));
                Assert.Equal(version.Sha256, TestModels.Sha256(bytes));
            }

            foreach (var id in benchmarks)
            {
                var status = await edged.WaitAsync(id, TimeSpan.FromSeconds(120));
                Assert.True(BenchmarkStates.IsFinal(status.Status), $"{id} still {status.Status}");
                Assert.True(status.Status == BenchmarkStates.Completed || status.Error!.Contains("deleted", StringComparison.Ordinal) || status.Error.Contains("was deleted", StringComparison.Ordinal), status.Error);
            }
        }
        finally
        {
            Directory.Delete(edged.Store, recursive: true);
        }
    }
}
