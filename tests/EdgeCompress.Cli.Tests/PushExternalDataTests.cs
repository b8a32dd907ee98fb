using System.Security.Cryptography;
using EdgeCompress.Cli.Commands;
using EdgeCompress.Fleet;
using EdgeCompress.Onnx;

namespace EdgeCompress.Cli.Tests;

/// <summary>Models saved with ONNX external data (weights in MODEL.onnx.data) reach a real edged as one file.</summary>
[Collection(FleetCliGroup.Name)]
public sealed class PushExternalDataTests(TwoDaemonsFixture daemons) : IDisposable
{
    private readonly FleetCliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Push_inlines_two_external_data_files_into_one_upload_that_the_daemon_then_benchmarks()
    {
        await FleetCliHarness.RunAsync("devices", "add", "ext-board", daemons.Http.Url, "--token-file", daemons.Http.TokenFile);
        var model = ExternalDataModels.WriteMlp(_cli.Root, "split.onnx", dataFiles: 2, width: 256, seed: 41);
        var whole = OnnxModel.Load(model).ToBytes();
        var uploadsBefore = UploadFolders();

        var push = await FleetCliHarness.RunAsync("push", model, "--device", "ext-board");
        var bench = await FleetCliHarness.RunAsync("bench", model, "--device", "ext-board", "--iterations", "10");
        using var client = new EdgedClient(DeviceRegistry.Load(_cli.RegistryFile).Get("ext-board"));
        var stored = Assert.Single((await client.ModelAsync("split", CancellationToken.None))!.Versions);
        var record = Assert.Single(new ResultsDatabase(_cli.ResultsFile).ReadAll().Select(run => run.Record).ToList());

        Assert.True(new FileInfo(model).Length < 4096, "the .onnx holds the graph only");
        Assert.Equal(0, push.Exit);
        Assert.Equal("split.onnx: 2 external data files inlined for upload (514.3 KiB)", push.Error.Split('\n')[0]);
        Assert.Equal("514.3 KiB", FleetConsole.Bytes(whole.Length));
        Assert.Contains("ext-board: stored split v1 (514.3 KiB, sha256 ", push.Error, StringComparison.Ordinal);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(whole)), stored.Sha256);
        Assert.Equal(0, bench.Exit);
        Assert.Equal("split.onnx: 2 external data files inlined for upload (514.3 KiB)", bench.Error.Split('\n')[0]);
        Assert.DoesNotContain("uploading", bench.Error, StringComparison.Ordinal);
        Assert.Contains("benchmarked split on 1 of 1 device(s)", bench.Out, StringComparison.Ordinal);
        Assert.Equal((10, stored.Sha256, model, whole.LongLength), (record.Result.Count, record.ModelSha256, record.ModelFile, record.ModelBytes));
        Assert.Equal(uploadsBefore, UploadFolders());
    }

    [Fact]
    public async Task Bench_pushes_a_missing_external_data_model_as_one_file_and_measures_it()
    {
        await FleetCliHarness.RunAsync("devices", "add", "ext-bencher", daemons.Http.Url, "--token-file", daemons.Http.TokenFile);
        var model = ExternalDataModels.WriteMlp(_cli.Root, "solo.onnx", dataFiles: 1, width: 64, seed: 42);

        var bench = await FleetCliHarness.RunAsync("bench", model, "--device", "ext-bencher", "--iterations", "5", "--name", "solo-ext");
        var record = Assert.Single(new ResultsDatabase(_cli.ResultsFile).ReadAll().Select(run => run.Record).ToList());

        Assert.Equal(0, bench.Exit);
        Assert.Equal("solo.onnx: 1 external data file inlined for upload (32.8 KiB)", bench.Error.Split('\n')[0]);
        Assert.Contains("ext-bencher: uploading 100%", bench.Error, StringComparison.Ordinal);
        Assert.Equal(("solo-ext", 5), (record.ModelName, record.Result.Count));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(OnnxModel.Load(model).ToBytes())), record.ModelSha256);
    }

    [Fact]
    public async Task A_missing_external_data_file_is_one_line_naming_it_exit_2_and_nothing_is_uploaded()
    {
        await FleetCliHarness.RunAsync("devices", "add", "ext-missing", daemons.Http.Url, "--token-file", daemons.Http.TokenFile);
        var model = ExternalDataModels.WriteMlp(_cli.Root, "lost.onnx", dataFiles: 2, width: 32, seed: 43);
        File.Delete(Path.Combine(_cli.Root, "lost.onnx.1.data"));

        var push = await FleetCliHarness.RunAsync("push", model, "--device", "ext-missing");
        var bench = await FleetCliHarness.RunAsync("bench", model, "--device", "ext-missing");
        using var client = new EdgedClient(DeviceRegistry.Load(_cli.RegistryFile).Get("ext-missing"));

        const string Line = "edgec: lost.onnx: external data file 'lost.onnx.1.data' for tensor 'w1' not found next to the model; nothing uploaded\n";
        Assert.Equal((2, "", Line), (push.Exit, push.Out, push.Error));
        Assert.Equal((2, "", Line), (bench.Exit, bench.Out, bench.Error));
        Assert.Null(await client.ModelAsync("lost", CancellationToken.None));
    }

    [Fact]
    public async Task A_short_external_data_file_is_one_line_naming_it_and_exit_2()
    {
        await FleetCliHarness.RunAsync("devices", "add", "ext-short", daemons.Http.Url, "--token-file", daemons.Http.TokenFile);
        var model = ExternalDataModels.WriteMlp(_cli.Root, "cut.onnx", dataFiles: 1, width: 32, seed: 44);
        using (var data = File.OpenWrite(Path.Combine(_cli.Root, "cut.onnx.data")))
        {
            data.SetLength(5000);
        }

        var push = await FleetCliHarness.RunAsync("push", model, "--device", "ext-short");
        using var client = new EdgedClient(DeviceRegistry.Load(_cli.RegistryFile).Get("ext-short"));

        Assert.Equal((2, "edgec: cut.onnx: tensor 'w1' reads bytes 4096..8192 of 'cut.onnx.data', which holds 5000; nothing uploaded\n"), (push.Exit, push.Error));
        Assert.Null(await client.ModelAsync("cut", CancellationToken.None));
    }

    [Fact]
    public async Task A_model_over_2_GiB_with_its_external_data_is_one_line_and_exit_2()
    {
        await FleetCliHarness.RunAsync("devices", "add", "ext-huge", daemons.Http.Url, "--token-file", daemons.Http.TokenFile);
        var model = ExternalDataModels.WriteHuge(_cli.Root, "huge.onnx", elements: 300_000_000);

        var push = await FleetCliHarness.RunAsync("push", model, "--device", "ext-huge");
        var bench = await FleetCliHarness.RunAsync("bench", model, "--device", "ext-huge");

        const string Line = "edgec: huge.onnx: 2.24 GiB with its external data, over the 2 GiB a single ONNX file can hold (protobuf's limit); " +
                            "edged stores a model as one file, so this one cannot be pushed until edged takes multi-file uploads\n";
        Assert.Equal((2, Line), (push.Exit, push.Error));
        Assert.Equal((2, Line), (bench.Exit, bench.Error));
    }

    private static string[] UploadFolders() =>
        [.. Directory.GetDirectories(Path.GetTempPath(), "edgec-upload-*").Order(StringComparer.Ordinal)];
}
