using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using EdgeCompress.Protocol;

namespace EdgeCompress.Fleet;

/// <summary>
/// Client of every edged route under /v1 plus /metrics. Each call is bounded by <see cref="EdgedConnection.RequestTimeout"/>
/// (uploads by a size-scaled limit) and fails with a one-line <see cref="FleetException"/>.
/// </summary>
public sealed class EdgedClient : EdgedConnection
{
    /// <summary>Default timeout of short requests.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Opens a client for <paramref name="device"/>.</summary>
    public EdgedClient(DeviceEntry device, TimeSpan? requestTimeout = null) : base(device, requestTimeout ?? DefaultRequestTimeout)
    {
    }

    /// <summary>GET /v1/health (no token needed).</summary>
    public Task<HealthResponse> HealthAsync(CancellationToken cancellationToken) =>
        GetJsonAsync("v1/health", ProtocolJsonContext.Default.HealthResponse, "health check", cancellationToken);

    /// <summary>GET /v1/device: profile, CPU, sensors, versions, TLS fingerprint.</summary>
    public Task<DeviceInfo> DeviceAsync(CancellationToken cancellationToken) =>
        GetJsonAsync("v1/device", ProtocolJsonContext.Default.DeviceInfo, "reading device info", cancellationToken);

    /// <summary>GET /v1/models.</summary>
    public Task<ModelListResponse> ModelsAsync(CancellationToken cancellationToken) =>
        GetJsonAsync("v1/models", ProtocolJsonContext.Default.ModelListResponse, "listing models", cancellationToken);

    /// <summary>GET /v1/models/{name}; null when the daemon has no model of that name.</summary>
    public Task<ModelInfo?> ModelAsync(string name, CancellationToken cancellationToken) => ExecuteAsync(async ct =>
    {
        using var response = await Http.GetAsync($"v1/models/{Uri.EscapeDataString(name)}", ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, $"reading model {name}", ct).ConfigureAwait(false);
        return await ReadJsonAsync(response, ProtocolJsonContext.Default.ModelInfo, ct).ConfigureAwait(false);
    }, RequestTimeout, cancellationToken);

    /// <summary>DELETE /v1/models/{name}[?version=N]; false when there was nothing to delete.</summary>
    public Task<bool> DeleteModelAsync(string name, int? version, CancellationToken cancellationToken) => ExecuteAsync(async ct =>
    {
        var path = $"v1/models/{Uri.EscapeDataString(name)}" + (version is { } v ? $"?version={v}" : "");
        using var response = await Http.DeleteAsync(path, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        await EnsureSuccessAsync(response, $"deleting model {name}", ct).ConfigureAwait(false);
        return true;
    }, RequestTimeout, cancellationToken);

    /// <summary>
    /// PUT /v1/models/{name}: streams the file with its SHA-256 in X-Content-SHA256, reporting bytes sent. One attempt;
    /// <see cref="ModelPusher"/> adds retries. Returns the stored version and whether it was new (201) or unchanged (200).
    /// </summary>
    public Task<(ModelVersionInfo Version, bool Created)> UploadAsync(string path, string name, string sha256, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var length = new FileInfo(path).Length;

        // The daemon validates the model with ONNX Runtime after receiving it; allow for that and a slow link.
        var timeout = RequestTimeout + TimeSpan.FromSeconds(30 + (length / 1_000_000.0));
        return ExecuteAsync(async ct =>
        {
            using var content = new FileUploadContent(path, length, progress);
            content.Headers.Add(ApiContract.ContentSha256Header, sha256);
            using var response = await Http.PutAsync($"v1/models/{Uri.EscapeDataString(name)}", content, ct).ConfigureAwait(false);
            await EnsureSuccessAsync(response, $"uploading {name}", ct).ConfigureAwait(false);
            var version = await ReadJsonAsync(response, ProtocolJsonContext.Default.ModelVersionInfo, ct).ConfigureAwait(false);
            return (version, response.StatusCode == HttpStatusCode.Created);
        }, timeout, cancellationToken);
    }

    /// <summary>GET /v1/inputs/{sha256}; null when the daemon does not have that input set.</summary>
    public Task<InputSetInfo?> InputSetAsync(string sha256, CancellationToken cancellationToken) => ExecuteAsync(async ct =>
    {
        using var response = await Http.GetAsync($"v1/inputs/{sha256}", ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, "reading input set", ct).ConfigureAwait(false);
        return await ReadJsonAsync(response, ProtocolJsonContext.Default.InputSetInfo, ct).ConfigureAwait(false);
    }, RequestTimeout, cancellationToken);

    /// <summary>PUT /v1/inputs/{sha256}: sends an input set (the daemon checks the checksum, format and its size limit).</summary>
    public Task<InputSetInfo> UploadInputSetAsync(byte[] body, string sha256, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var timeout = RequestTimeout + TimeSpan.FromSeconds(30 + (body.Length / 1_000_000.0));
        return ExecuteAsync(async ct =>
        {
            // Expect: 100-continue: a set over the device's limit is refused (413) before its bytes are sent.
            using var request = new HttpRequestMessage(HttpMethod.Put, $"v1/inputs/{sha256}") { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(TensorSet.MediaType);
            request.Headers.ExpectContinue = true;
            using var response = await Http.SendAsync(request, ct).ConfigureAwait(false);
            await EnsureSuccessAsync(response, "uploading the input set", ct).ConfigureAwait(false);
            return await ReadJsonAsync(response, ProtocolJsonContext.Default.InputSetInfo, ct).ConfigureAwait(false);
        }, timeout, cancellationToken);
    }

    /// <summary>GET /v1/benchmarks/{id}/outputs: every sample's outputs (float32) of a benchmark run on an input set.</summary>
    public Task<List<IReadOnlyList<WireTensor>>> OutputsAsync(string id, long expectedBytes, CancellationToken cancellationToken) => ExecuteAsync(async ct =>
    {
        using var response = await Http.GetAsync($"v1/benchmarks/{Uri.EscapeDataString(id)}/outputs", HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, $"reading the outputs of benchmark {id}", ct).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer, ct).ConfigureAwait(false);
        buffer.Position = 0;
        try
        {
            return TensorSet.Read(buffer, Math.Max(expectedBytes, 1));
        }
        catch (InvalidDataException ex)
        {
            throw new FleetException(FleetProblem.Remote, $"{Device.Name}: the outputs of benchmark {id} are damaged ({ex.Message})", ex);
        }
    }, RequestTimeout + TimeSpan.FromSeconds(30 + (expectedBytes / 1_000_000.0)), cancellationToken);

    /// <summary>POST /v1/benchmarks: queues a benchmark.</summary>
    public Task<BenchmarkAccepted> SubmitBenchmarkAsync(BenchmarkRequest request, CancellationToken cancellationToken) => ExecuteAsync(async ct =>
    {
        using var body = new StringContent(JsonSerializer.Serialize(request, ProtocolJsonContext.Default.BenchmarkRequest), Encoding.UTF8, "application/json");
        using var response = await Http.PostAsync("v1/benchmarks", body, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, $"starting a benchmark of {request.Model}", ct).ConfigureAwait(false);
        return await ReadJsonAsync(response, ProtocolJsonContext.Default.BenchmarkAccepted, ct).ConfigureAwait(false);
    }, RequestTimeout, cancellationToken);

    /// <summary>GET /v1/benchmarks/{id}.</summary>
    public Task<BenchmarkStatus> BenchmarkAsync(string id, CancellationToken cancellationToken) =>
        GetJsonAsync($"v1/benchmarks/{Uri.EscapeDataString(id)}", ProtocolJsonContext.Default.BenchmarkStatus, $"reading benchmark {id}", cancellationToken);

    /// <summary>GET /metrics (Prometheus text).</summary>
    public Task<string> MetricsAsync(CancellationToken cancellationToken) => ExecuteAsync(async ct =>
    {
        using var response = await Http.GetAsync("metrics", ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "reading metrics", ct).ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
    }, RequestTimeout, cancellationToken);

    /// <summary>
    /// GET /v1/benchmarks/{id}/events: yields server-sent events until the job's final event or the end of the stream.
    /// The daemon sends a keep-alive every 15 s, so a silence longer than <paramref name="idleTimeout"/> means the
    /// connection is dead (a problem is thrown).
    /// </summary>
    public async IAsyncEnumerable<BenchmarkEvent> EventsAsync(string id, TimeSpan idleTimeout, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var response = await ExecuteAsync(async ct =>
        {
            var answer = await Http.GetAsync($"v1/benchmarks/{Uri.EscapeDataString(id)}/events", HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            try
            {
                await EnsureSuccessAsync(answer, $"following benchmark {id}", ct).ConfigureAwait(false);
            }
            catch
            {
                answer.Dispose();
                throw;
            }

            return answer;
        }, RequestTimeout, cancellationToken).ConfigureAwait(false);

        using (response)
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var data = new StringBuilder();
            while (await ReadLineAsync(reader, idleTimeout, cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (line.StartsWith("data:", StringComparison.Ordinal))
                {
                    data.Append(line.AsSpan(5).TrimStart(' '));
                    continue;
                }

                if (line.Length > 0 || data.Length == 0)
                {
                    continue;
                }

                var item = JsonSerializer.Deserialize(data.ToString(), ProtocolJsonContext.Default.BenchmarkEvent);
                data.Clear();
                if (item is null)
                {
                    continue;
                }

                yield return item;
                if (BenchmarkStates.IsFinal(item.Kind))
                {
                    yield break;
                }
            }
        }
    }

    private Task<string?> ReadLineAsync(StreamReader reader, TimeSpan idleTimeout, CancellationToken cancellationToken) =>
        ExecuteAsync(ct => reader.ReadLineAsync(ct).AsTask(), idleTimeout, cancellationToken);

    private Task<T> GetJsonAsync<T>(string path, JsonTypeInfo<T> type, string what, CancellationToken cancellationToken) => ExecuteAsync(async ct =>
    {
        using var response = await Http.GetAsync(path, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, what, ct).ConfigureAwait(false);
        return await ReadJsonAsync(response, type, ct).ConfigureAwait(false);
    }, RequestTimeout, cancellationToken);

    private async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize(body, type) ?? throw new JsonException("empty answer");
        }
        catch (JsonException ex)
        {
            throw new FleetException(FleetProblem.Remote, $"{Device.Name}: {Url} answered something that is not edged's API ({ex.Message})", ex);
        }
    }
}
