using EdgeCompress.Fleet;

namespace EdgeCompress.Cli.Tests;

[Collection(FleetCliGroup.Name)]
public sealed class PushCommandTests(TwoDaemonsFixture daemons) : IDisposable
{
    private readonly FleetCliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Push_stores_the_model_with_progress_and_a_second_push_sends_nothing()
    {
        await FleetCliHarness.RunAsync("devices", "add", "pusher", daemons.Http.Url, "--token-file", daemons.Http.TokenFile);
        var model = FleetModels.WriteMlp(_cli.Root, "classifier.onnx", width: 48, seed: 21);
        var sha = ModelFile.Open(model).Sha256;

        var first = await FleetCliHarness.RunAsync("push", model, "--device", "pusher", "--name", "classifier-v2");
        var second = await FleetCliHarness.RunAsync("push", model, "--device", "pusher", "--name", "classifier-v2");
        using var client = new EdgedClient(DeviceRegistry.Load(_cli.RegistryFile).Get("pusher"));
        var stored = await client.ModelAsync("classifier-v2", CancellationToken.None);

        Assert.Equal(0, first.Exit);
        Assert.Contains("pusher: uploading 100%", first.Error, StringComparison.Ordinal);
        Assert.Contains("pusher: stored classifier-v2 v1", first.Error, StringComparison.Ordinal);
        Assert.Contains("pushed classifier-v2 on 1 of 1 device(s)", first.Out, StringComparison.Ordinal);
        Assert.Contains("pusher: already has classifier-v2 v1 (same SHA-256); nothing sent", second.Error, StringComparison.Ordinal);
        Assert.Equal(sha, Assert.Single(stored!.Versions).Sha256);
    }

    [Fact]
    public async Task A_missing_model_file_is_one_line_and_exit_2()
    {
        await FleetCliHarness.RunAsync("devices", "add", "pusher", daemons.Http.Url, "--token-file", daemons.Http.TokenFile);

        var result = await FleetCliHarness.RunAsync("push", Path.Combine(_cli.Root, "absent.onnx"), "--all");

        Assert.Equal((2, $"edgec: model file {Path.Combine(_cli.Root, "absent.onnx")} does not exist\n"), (result.Exit, result.Error));
    }
}
