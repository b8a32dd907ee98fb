using System.Net;
using System.Text.Json;
using EdgeCompress.Protocol;

namespace EdgeCompress.Daemon.Tests;

public class ModelStoreApiTests(DaemonFixture fixture) : IClassFixture<DaemonFixture>
{
    private EdgedProcess Edged => fixture.Edged;

    [Fact]
    public async Task A_pushed_model_is_stored_under_its_checksum_and_listed()
    {
        var model = TestModels.Mlp(seed: 100);

        var stored = await Edged.PushAsync("listed", model);

        Assert.Equal(1, stored.Version);
        Assert.Equal(model.Length, stored.SizeBytes);
        Assert.Equal(TestModels.Sha256(model), stored.Sha256);
        var file = Path.Combine(Edged.Store, "models", "listed", $"v1-{stored.Sha256}.onnx");
        Assert.Equal(model, await File.ReadAllBytesAsync(file));
        var list = JsonSerializer.Deserialize(await Edged.Client.GetStringAsync("/v1/models"), ProtocolJsonContext.Default.ModelListResponse)!;
        Assert.Contains(list.Models, m => m.Name == "listed" && m.Versions.Single().Sha256 == stored.Sha256);
        Assert.True(list.UsedBytes >= model.Length);
    }

    [Fact]
    public async Task New_bytes_make_a_new_version_and_the_same_bytes_do_not()
    {
        var first = await Edged.PushAsync("versioned", TestModels.Mlp(seed: 1));
        var second = await Edged.PushAsync("versioned", TestModels.Mlp(seed: 2));
        var again = await Edged.PushAsync("versioned", TestModels.Mlp(seed: 2));

        Assert.Equal((1, 2, 2), (first.Version, second.Version, again.Version));
        var info = JsonSerializer.Deserialize(await Edged.Client.GetStringAsync("/v1/models/versioned"), ProtocolJsonContext.Default.ModelInfo)!;
        Assert.Equal([1, 2], info.Versions.Select(v => v.Version));
    }

    [Fact]
    public async Task A_real_conv_model_from_the_onnx_test_data_is_accepted()
    {
        var stored = await Edged.PushAsync("conv2d", await File.ReadAllBytesAsync(TestModels.ConvModelPath));

        Assert.Equal(1, stored.Version);
    }

    [Fact]
    public async Task Deleting_one_version_keeps_the_others_and_deleting_the_name_removes_all()
    {
        await Edged.PushAsync("doomed", TestModels.Mlp(seed: 11));
        await Edged.PushAsync("doomed", TestModels.Mlp(seed: 12));

        using (var one = await Edged.Client.DeleteAsync("/v1/models/doomed?version=1"))
        {
            Assert.Equal(HttpStatusCode.NoContent, one.StatusCode);
        }

        var info = JsonSerializer.Deserialize(await Edged.Client.GetStringAsync("/v1/models/doomed"), ProtocolJsonContext.Default.ModelInfo)!;
        Assert.Equal([2], info.Versions.Select(v => v.Version));

        using (var all = await Edged.Client.DeleteAsync("/v1/models/doomed"))
        {
            Assert.Equal(HttpStatusCode.NoContent, all.StatusCode);
        }

        using var gone = await Edged.Client.GetAsync("/v1/models/doomed");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.False(Directory.Exists(Path.Combine(Edged.Store, "models", "doomed")));
        using var again = await Edged.Client.DeleteAsync("/v1/models/doomed");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }
}

public class StorageLimitTests
{
    [Fact]
    public async Task Uploads_past_the_store_quota_are_507_and_earlier_models_stay()
    {
        var oneModel = TestModels.Mlp(width: 128, layers: 2, seed: 1); // about 130 kB
        using var edged = await EdgedProcess.StartAsync(extra: ["--quota-bytes", (oneModel.Length * 2 + 100).ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        try
        {
            await edged.PushAsync("a", oneModel);
            await edged.PushAsync("b", TestModels.Mlp(width: 128, layers: 2, seed: 2));
            using var content = EdgedProcess.Checksummed(TestModels.Mlp(width: 128, layers: 2, seed: 3));

            using var response = await edged.Client.PutAsync("/v1/models/c", content);

            Assert.Equal(HttpStatusCode.InsufficientStorage, response.StatusCode);
            Assert.Contains("quota", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            var list = JsonSerializer.Deserialize(await edged.Client.GetStringAsync("/v1/models"), ProtocolJsonContext.Default.ModelListResponse)!;
            Assert.Equal(["a", "b"], list.Models.Select(m => m.Name));
        }
        finally
        {
            Directory.Delete(edged.Store, recursive: true);
        }
    }

    [Fact]
    public async Task A_version_a_queued_benchmark_needs_is_not_pruned_by_newer_uploads()
    {
        using var edged = await EdgedProcess.StartAsync(extra: ["--max-versions-per-model", "1"]);
        try
        {
            await edged.PushAsync("pinned-blocker", TestModels.Mlp(width: 128, seed: 50));
            await edged.PushAsync("pinned", TestModels.Mlp(seed: 51));
            var blocker = await edged.SubmitAsync(new BenchmarkRequest { Model = "pinned-blocker", DurationSeconds = 1 });
            var waiting = await edged.SubmitAsync(new BenchmarkRequest { Model = "pinned", Iterations = 20 });

            var newer = await edged.PushAsync("pinned", TestModels.Mlp(seed: 52));
            var status = await edged.WaitAsync(waiting);
            await edged.WaitAsync(blocker);

            Assert.Equal(2, newer.Version);
            Assert.True(status.Status == BenchmarkStates.Completed, status.Error);
            Assert.Equal(1, status.ModelVersion!.Version);
        }
        finally
        {
            Directory.Delete(edged.Store, recursive: true);
        }
    }
}
