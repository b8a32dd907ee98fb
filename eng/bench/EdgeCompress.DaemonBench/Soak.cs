using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EdgeCompress.Protocol;

namespace EdgeCompress.DaemonBench;

/// <summary>N clients uploading, listing, benchmarking and scraping for a fixed time; counts answers, 5xx and lost models.</summary>
internal static class Soak
{
    public static async Task<int> RunAsync(Options options)
    {
        var clients = options.Int("clients", 20);
        var seconds = options.Int("seconds", 60);
        var (daemon, _) = await DaemonUnderTest.StartAsync(options.Require("edged"), options.Int("port", 18433));
        using (daemon)
        {
            var byStatus = new ConcurrentDictionary<int, int>();
            var pushed = new ConcurrentDictionary<string, string>();
            var jobs = new ConcurrentBag<string>();
            var until = DateTime.UtcNow.AddSeconds(seconds);
            await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
            {
                var random = new Random(client);
                for (var round = 0; DateTime.UtcNow < until; round++)
                {
                    var name = $"soak{client % 5}";
                    HttpResponseMessage response;
                    switch (random.Next(4))
                    {
                        case 0:
                            var model = BenchModels.Mlp(batch: 1, width: 32 + (client % 4), layers: 1 + (round % 3));
                            using (var content = new ByteArrayContent(model))
                            {
                                content.Headers.Add(ApiContract.ContentSha256Header, Convert.ToHexStringLower(SHA256.HashData(model)));
                                response = await daemon.Client.PutAsync($"/v1/models/{name}", content);
                            }

                            if (response.StatusCode == HttpStatusCode.Created)
                            {
                                var info = JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), ProtocolJsonContext.Default.ModelVersionInfo)!;
                                pushed[$"{name}/{info.Version}"] = info.Sha256;
                            }

                            break;
                        case 1:
                            response = await daemon.Client.GetAsync("/v1/models");
                            break;
                        case 2:
                            using (var body = new StringContent(JsonSerializer.Serialize(new BenchmarkRequest { Model = name, Iterations = 20, Warmup = 0, Power = false }, ProtocolJsonContext.Default.BenchmarkRequest), Encoding.UTF8, "application/json"))
                            {
                                response = await daemon.Client.PostAsync("/v1/benchmarks", body);
                            }

                            if (response.StatusCode == HttpStatusCode.Accepted)
                            {
                                jobs.Add(JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), ProtocolJsonContext.Default.BenchmarkAccepted)!.Id);
                            }

                            break;
                        default:
                            response = await daemon.Client.GetAsync("/metrics");
                            break;
                    }

                    byStatus.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                    response.Dispose();
                }
            }));

            var list = JsonSerializer.Deserialize(await daemon.Client.GetStringAsync("/v1/models"), ProtocolJsonContext.Default.ModelListResponse)!;
            var corrupted = 0;
            foreach (var version in list.Models.SelectMany(m => m.Versions))
            {
                var file = Path.Combine(daemon.Store, "models", version.Name, $"v{version.Version}-{version.Sha256}.onnx");
                var actual = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(file)));
                if (actual != version.Sha256 || pushed.GetValueOrDefault($"{version.Name}/{version.Version}") != version.Sha256)
                {
                    corrupted++;
                }
            }

            var completed = 0;
            var failed = 0;
            foreach (var id in jobs)
            {
                using var answer = await daemon.Client.GetAsync($"/v1/benchmarks/{id}");
                if (answer.StatusCode == HttpStatusCode.NotFound)
                {
                    continue; // beyond the 1000 jobs edged keeps in memory (still in results.jsonl)
                }

                var status = JsonSerializer.Deserialize(await answer.Content.ReadAsStringAsync(), ProtocolJsonContext.Default.BenchmarkStatus)!;
                completed += status.Status == BenchmarkStates.Completed ? 1 : 0;
                failed += status.Status == BenchmarkStates.Failed ? 1 : 0;
            }

            var total = byStatus.Values.Sum();
            var errors = byStatus.Where(p => p.Key >= 500).Sum(p => p.Value);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{clients} clients for {seconds} s: {total} requests ({total / (double)seconds:0.0}/s)"));
            Console.WriteLine("by status: " + string.Join(", ", byStatus.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}")));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"5xx answers: {errors}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"model versions kept: {list.Models.Sum(m => m.Versions.Count)}, lost or corrupted: {corrupted} (of {pushed.Count} created; older ones pruned by maxVersionsPerModel)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"benchmarks accepted: {jobs.Count}, completed so far: {completed}, failed: {failed}, still queued/running: {jobs.Count - completed - failed}"));
            return errors == 0 && corrupted == 0 ? 0 : 1;
        }
    }
}
