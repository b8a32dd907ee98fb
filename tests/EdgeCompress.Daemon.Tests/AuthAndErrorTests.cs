using System.Net;
using System.Text.Json;
using EdgeCompress.Protocol;

namespace EdgeCompress.Daemon.Tests;

public class AuthAndErrorTests(DaemonFixture fixture) : IClassFixture<DaemonFixture>
{
    private EdgedProcess Edged => fixture.Edged;

    [Fact]
    public async Task Health_needs_no_token_and_reports_ok_and_the_api_version()
    {
        using var anonymous = Edged.CreateClient(token: null);

        var health = JsonSerializer.Deserialize(await anonymous.GetStringAsync("/v1/health"), ProtocolJsonContext.Default.HealthResponse)!;

        Assert.Equal("ok", health.Status);
        Assert.Equal("v1", health.ApiVersion);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token-of-some-length")]
    [InlineData("")]
    public async Task Every_route_but_health_answers_401_problem_without_the_right_token(string? token)
    {
        using var client = Edged.CreateClient(token);
        string[] routes = ["/v1/device", "/v1/models", "/v1/models/x", "/v1/benchmarks", "/v1/benchmarks/abc", "/metrics"];

        foreach (var route in routes)
        {
            using var response = await client.GetAsync(route);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }

        using var put = await client.PutAsync("/v1/models/sneaky", new ByteArrayContent(TestModels.Mlp()));
        Assert.Equal(HttpStatusCode.Unauthorized, put.StatusCode);
        Assert.False(Directory.Exists(Path.Combine(Edged.Store, "models", "sneaky")));
    }

    [Fact]
    public async Task A_token_that_only_shares_a_prefix_is_rejected()
    {
        using var client = Edged.CreateClient(Edged.Token[..^1]);

        using var response = await client.GetAsync("/v1/device");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("..%2F..%2Fetc%2Fpasswd")]
    [InlineData("a%2Fb")]
    [InlineData(".hidden")]
    [InlineData("model..onnx")]
    [InlineData("%2E%2E")]
    [InlineData("name%20with%20space")]
    public async Task Traversal_and_unsafe_model_names_are_400_and_write_nothing(string name)
    {
        using var content = new ByteArrayContent(TestModels.Mlp());

        using var response = await Edged.Client.PutAsync($"/v1/models/{name}", content);

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{name}: {(int)response.StatusCode}");
        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            Assert.Contains("not allowed", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Empty(Directory.GetFiles(Path.Combine(Edged.Store, "tmp")));
        Assert.False(File.Exists(Path.Combine(Edged.Store, "passwd")));
        Assert.DoesNotContain(Directory.GetDirectories(Path.Combine(Edged.Store, "models")), d => Path.GetFileName(d).Contains("..", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Garbage_bytes_are_400_naming_onnx_runtime_and_the_daemon_keeps_serving()
    {
        using var content = EdgedProcess.Checksummed("this is not a model"u8.ToArray());

        using var response = await Edged.Client.PutAsync("/v1/models/garbage", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not a model ONNX Runtime can load", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(await FindModelAsync("garbage"));
        using var health = await Edged.Client.GetAsync("/v1/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task A_truncated_model_is_400_and_not_stored()
    {
        var model = TestModels.Mlp(seed: 42);
        using var content = EdgedProcess.Checksummed(model[..(model.Length / 2)]);

        using var response = await Edged.Client.PutAsync("/v1/models/truncated", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(await FindModelAsync("truncated"));
    }

    [Fact]
    public async Task A_checksum_mismatch_is_400_saying_both_hashes()
    {
        var model = TestModels.Mlp(seed: 7);
        using var content = new ByteArrayContent(model);
        content.Headers.Add(ApiContract.ContentSha256Header, new string('0', 64));

        using var response = await Edged.Client.PutAsync("/v1/models/mismatch", content);

        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(TestModels.Sha256(model), body, StringComparison.Ordinal);
        Assert.Null(await FindModelAsync("mismatch"));
    }

    [Fact]
    public async Task An_upload_without_its_checksum_header_is_400_naming_the_header_and_not_stored()
    {
        using var content = new ByteArrayContent(TestModels.Mlp(seed: 8));

        using var response = await Edged.Client.PutAsync("/v1/models/unsummed", content);

        var problem = JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), ProtocolJsonContext.Default.ProblemResponse)!;
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("X-Content-SHA256 is required", problem.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', problem.Detail!);
        Assert.Null(await FindModelAsync("unsummed"));
    }

    [Fact]
    public async Task An_upload_over_max_model_bytes_is_413()
    {
        // The client asks first (Expect: 100-continue): the daemon answers 413 from Content-Length before any body is
        // sent, so the answer never races a half-written upload (without it the socket may be closed mid-write).
        using var request = new HttpRequestMessage(HttpMethod.Put, "/v1/models/huge") { Content = EdgedProcess.Checksummed(new byte[2_100_000]) };
        request.Headers.ExpectContinue = true;

        using var response = await Edged.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("2000000", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(await FindModelAsync("huge"));
    }

    [Fact]
    public async Task A_chunked_upload_that_grows_past_the_limit_is_413()
    {
        var body = new byte[2_100_000];
        using var content = new StreamContent(new MemoryStream(body));
        content.Headers.ContentLength = null; // chunked: the limit is found while streaming
        content.Headers.Add(ApiContract.ContentSha256Header, TestModels.Sha256(body));

        using var response = await Edged.Client.PutAsync("/v1/models/growing", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(Directory.GetFiles(Path.Combine(Edged.Store, "tmp")));
    }

    [Theory]
    [InlineData("{\"model\":\"\"}", "model is required")]
    [InlineData("{\"model\":\"m\",\"iterations\":0}", "iterations must be 1")]
    [InlineData("{\"model\":\"m\",\"iterations\":5,\"durationSeconds\":1}", "not both")]
    [InlineData("{\"model\":\"m\",\"executionProvider\":\"cuda\"}", "executionProvider 'cuda'")]
    [InlineData("{\"model\":\"m\",\"threads\":-1}", "threads must be")]
    [InlineData("{\"model\":\"m\",\"graphOptimization\":\"max\"}", "graphOptimization must be")]
    [InlineData("{\"model\": 3", "not a benchmark request")]
    [InlineData("{\"model\":\"never-pushed\"}", "not in the store")]
    public async Task Bad_benchmark_requests_are_rejected_with_a_problem_naming_the_field(string json, string expected)
    {
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");

        using var response = await Edged.Client.PostAsync("/v1/benchmarks", content);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, body);
        var problem = JsonSerializer.Deserialize(body, ProtocolJsonContext.Default.ProblemResponse)!;
        Assert.Contains(expected, problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_benchmark_id_is_404()
    {
        using var response = await Edged.Client.GetAsync("/v1/benchmarks/0000000000000000");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private async Task<ModelInfo?> FindModelAsync(string name)
    {
        var list = JsonSerializer.Deserialize(await Edged.Client.GetStringAsync("/v1/models"), ProtocolJsonContext.Default.ModelListResponse)!;
        return list.Models.FirstOrDefault(m => m.Name == name);
    }
}
