using System.Net;
using System.Text.Json;
using EdgeCompress.Protocol;

namespace EdgeCompress.Daemon.Tests;

/// <summary>Error answers say what was wrong with the model, by its name, and never where edged keeps its files.</summary>
public class ErrorDetailTests(DaemonFixture fixture) : IClassFixture<DaemonFixture>
{
    private EdgedProcess Edged => fixture.Edged;

    private string StorePath => "/" + Path.GetFileName(Edged.Store);

    [Fact]
    public async Task Junk_bytes_with_a_correct_checksum_are_400_naming_the_model_and_not_the_store()
    {
        using var content = EdgedProcess.Checksummed("definitely not protobuf"u8.ToArray());

        using var response = await Edged.Client.PutAsync("/v1/models/junk-upload", content);

        var detail = await DetailAsync(response);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not a model ONNX Runtime can load", detail, StringComparison.Ordinal);
        Assert.Contains("Load model from junk-upload failed", detail, StringComparison.Ordinal);
        Assert.DoesNotContain(StorePath, detail, StringComparison.Ordinal);
        Assert.DoesNotContain(".part", detail, StringComparison.Ordinal);
        // The operator still gets the whole story in the log.
        Assert.Contains(Edged.Output.Split('\n'), l => l.Contains("rejected model upload junk-upload", StringComparison.Ordinal) && l.Contains(Edged.Store, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_well_formed_model_onnx_runtime_refuses_is_400_naming_the_operator_and_not_the_store()
    {
        using var content = EdgedProcess.Checksummed(TestModels.SingleNode("NoSuchOperator"));

        using var response = await Edged.Client.PutAsync("/v1/models/refused", content);

        var detail = await DetailAsync(response);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Load model from refused failed", detail, StringComparison.Ordinal);
        Assert.Contains("No Op registered for NoSuchOperator", detail, StringComparison.Ordinal);
        Assert.DoesNotContain(StorePath, detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_benchmark_whose_stored_file_went_bad_fails_naming_the_model_and_not_the_store()
    {
        var stored = await Edged.PushAsync("rotten-bench", TestModels.Mlp(seed: 31));
        var file = Path.Combine(Edged.Store, "models", "rotten-bench", $"v1-{stored.Sha256}.onnx");
        await File.WriteAllBytesAsync(file, new byte[new FileInfo(file).Length]);

        var status = await Edged.BenchmarkAsync(new BenchmarkRequest { Model = "rotten-bench", Iterations = 5 });
        var events = await Edged.Client.GetStringAsync($"/v1/benchmarks/{status.Id}/events");

        Assert.Equal(BenchmarkStates.Failed, status.Status);
        Assert.Contains("rotten-bench", status.Error, StringComparison.Ordinal);
        Assert.Contains("Load model from rotten-bench failed", status.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(StorePath, status.Error, StringComparison.Ordinal);
        Assert.Contains("event: failed", events, StringComparison.Ordinal);
        Assert.DoesNotContain(StorePath, events, StringComparison.Ordinal);
        Assert.Contains(Edged.Output.Split('\n'), l => l.Contains($"benchmark {status.Id} failed", StringComparison.Ordinal) && l.Contains(file, StringComparison.Ordinal));
    }

    private static async Task<string> DetailAsync(HttpResponseMessage response) =>
        JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), ProtocolJsonContext.Default.ProblemResponse)!.Detail ?? "";
}
