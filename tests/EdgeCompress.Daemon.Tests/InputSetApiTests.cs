using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using EdgeCompress.Protocol;

namespace EdgeCompress.Daemon.Tests;

/// <summary>PUT/GET /v1/inputs/{sha256} and benchmarks over an uploaded input set, on a real edged with a 1 MB input limit.</summary>
public sealed class InputSetApiTests : IAsyncLifetime
{
    private EdgedProcess _edged = null!;

    public async Task InitializeAsync() => _edged = await EdgedProcess.StartAsync(extra: ["--max-input-bytes", "1000000"]);

    public Task DisposeAsync()
    {
        _edged.Dispose();
        Directory.Delete(_edged.Store, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_benchmark_over_an_input_set_cycles_its_samples_and_returns_every_samples_outputs()
    {
        await _edged.PushAsync("mlp", TestModels.Mlp(width: 16, seed: 7));
        var samples = Enumerable.Range(0, 5).Select(i => Sample("input", [1, 16], i)).ToList();
        var body = TensorSet.ToBytes(samples);
        var sha = TestModels.Sha256(body);

        var created = await PutAsync(sha, body);
        var again = await PutAsync(sha, body);
        var status = await _edged.BenchmarkAsync(new BenchmarkRequest { Model = "mlp", Iterations = 12, Warmup = 0, InputSet = sha });
        using var outputs = await _edged.Client.GetAsync($"/v1/benchmarks/{status.Id}/outputs");
        var returned = TensorSet.Read(await outputs.Content.ReadAsStreamAsync(), 1_000_000);

        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal(HttpStatusCode.OK, again.Status);
        var info = JsonSerializer.Deserialize(created.Body, ProtocolJsonContext.Default.InputSetInfo)!;
        Assert.Equal((sha, 5, body.Length, "input: float32 [1,16]"), (info.Sha256, info.Samples, (int)info.Bytes, info.Tensors.Single()));
        Assert.True(status.Status == BenchmarkStates.Completed, status.Error);
        Assert.Equal((sha, 5, 12), (status.Result!.InputSet, status.Result.InputSamples, status.Result.Count));
        Assert.Equal(HttpStatusCode.OK, outputs.StatusCode);
        Assert.Equal(5, returned.Count);
        var first = Assert.Single(returned[0]);
        Assert.Equal(("relu1", 1, "1,16"), (first.Name, first.ElementType, string.Join(',', first.Dims)));
        // Different inputs give different outputs: each sample really went through the model.
        Assert.NotEqual(returned[0][0].Data, returned[4][0].Data);
        Assert.Contains(MemoryMarshal.Cast<byte, float>(returned[3][0].Data).ToArray(), v => v > 0);
    }

    [Fact]
    public async Task Damaged_oversized_or_malformed_sets_are_refused_with_their_reason_and_nothing_is_kept()
    {
        var body = TensorSet.ToBytes([Sample("input", [1, 16], 1)]);
        var sha = TestModels.Sha256(body);
        var damaged = (byte[])body.Clone();
        damaged[^1] ^= 0xff;
        var big = TensorSet.ToBytes([Sample("input", [1, 300_000], 2)]);
        var garbage = "not a tensor set at all"u8.ToArray();

        var wrongSum = await PutAsync(sha, damaged);
        var tooBig = await PutAsync(TestModels.Sha256(big), big);
        var notASet = await PutAsync(TestModels.Sha256(garbage), garbage);
        var badName = await PutAsync("abc", body);
        using var missing = await _edged.Client.GetAsync($"/v1/inputs/{sha}");

        Assert.Equal(HttpStatusCode.BadRequest, wrongSum.Status);
        Assert.Equal($"the body's SHA-256 is {TestModels.Sha256(damaged)}, not {sha} as sent: the set was damaged on the way; send it again", Detail(wrongSum.Body));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig.Status);
        Assert.Equal($"input set is {big.Length} bytes; this device takes at most 1000000 bytes (maxInputBytes)", Detail(tooBig.Body));
        Assert.Equal(HttpStatusCode.BadRequest, notASet.Status);
        Assert.Equal("not a valid input set: not a tensor set (it must start with \"ECTS\")", Detail(notASet.Body));
        Assert.Equal(HttpStatusCode.BadRequest, badName.Status);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.False(Directory.Exists(Path.Combine(_edged.Store, "inputs")) && Directory.EnumerateFiles(Path.Combine(_edged.Store, "inputs")).Any());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_edged.Store, "tmp")));
    }

    [Fact]
    public async Task A_set_that_does_not_fit_the_model_fails_the_job_naming_sample_and_input()
    {
        await _edged.PushAsync("mlp8", TestModels.Mlp(width: 8, seed: 3));
        var wrongShape = TensorSet.ToBytes([Sample("input", [1, 8], 0), Sample("input", [1, 9], 1)]);
        var wrongName = TensorSet.ToBytes([Sample("pixels", [1, 8], 0)]);
        await PutAsync(TestModels.Sha256(wrongShape), wrongShape);
        await PutAsync(TestModels.Sha256(wrongName), wrongName);

        var shape = await _edged.BenchmarkAsync(new BenchmarkRequest { Model = "mlp8", Iterations = 2, InputSet = TestModels.Sha256(wrongShape) });
        var name = await _edged.BenchmarkAsync(new BenchmarkRequest { Model = "mlp8", Iterations = 2, InputSet = TestModels.Sha256(wrongName) });
        using var absent = await _edged.Client.PostAsync("/v1/benchmarks", EdgedProcess.Json(new BenchmarkRequest { Model = "mlp8", InputSet = new string('a', 64) }));
        using var both = await _edged.Client.PostAsync("/v1/benchmarks", EdgedProcess.Json(new BenchmarkRequest { Model = "mlp8", InputSet = TestModels.Sha256(wrongName), InputShapes = new() { ["input"] = [1, 8] } }));
        var generated = await _edged.BenchmarkAsync(new BenchmarkRequest { Model = "mlp8", Iterations = 2 });
        using var noOutputs = await _edged.Client.GetAsync($"/v1/benchmarks/{generated.Id}/outputs");

        Assert.Equal(BenchmarkStates.Failed, shape.Status);
        Assert.Equal("mlp8: input set sample 1, input 'input' has shape [1,9]; the model wants [?,8]", shape.Error);
        Assert.Equal("mlp8: input set sample 0 names pixels, which the model does not have; its inputs are input", name.Error);
        Assert.Equal(HttpStatusCode.BadRequest, absent.StatusCode);
        Assert.Equal($"input set {new string('a', 64)} is not on this device; upload it first (PUT /v1/inputs/{new string('a', 64)})", Detail(await absent.Content.ReadAsStringAsync()));
        Assert.Equal("give either inputSet (the shapes come from its tensors) or inputShapes, not both", Detail(await both.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.NotFound, noOutputs.StatusCode);
    }

    private static IReadOnlyList<WireTensor> Sample(string name, long[] dims, int seed) => [Tensor(name, dims, seed)];

    private static WireTensor Tensor(string name, long[] dims, int seed)
    {
        var random = new Random(seed);
        var values = Enumerable.Range(0, (int)dims.Aggregate(1L, (a, b) => a * b)).Select(_ => (float)random.NextDouble()).ToArray();
        return new WireTensor(name, 1, dims, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
    }

    private async Task<(HttpStatusCode Status, string Body)> PutAsync(string sha, byte[] body)
    {
        // Expect: 100-continue, as edgec sends it: a 413 is answered from Content-Length before the body is sent.
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/v1/inputs/{sha}") { Content = new ByteArrayContent(body) };
        request.Headers.ExpectContinue = true;
        using var response = await _edged.Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Detail(string body) => JsonSerializer.Deserialize(body, ProtocolJsonContext.Default.ProblemResponse)!.Detail ?? "";
}
