using System.Diagnostics;
using System.Text.Json;
using EdgeCompress.Arm64.Tests.Support;
using EdgeCompress.Fleet;
using Xunit.Abstractions;

namespace EdgeCompress.Arm64.Tests;

/// <summary>
/// Nobody here has a board, so this is the next best thing: the cross-compiled linux-arm64 edged runs under
/// qemu-user with a Raspberry Pi 4's /proc/cpuinfo (four Cortex-A72 cores) bind-mounted in a private mount
/// namespace (ONNX Runtime's cpuinfo crashes on the host's x86 one), and the host's real edgec drives it over HTTPS
/// the way a user would. Timings under emulation mean nothing; functions and protocol do.
/// </summary>
[Collection(Arm64PublishGroup.Name)]
[Trait("Category", "board")]
public sealed class EmulatedBoardTests(Arm64Publish publish, ITestOutputHelper output) : IDisposable
{
    private const int Iterations = 5;
    private readonly string _home = Directory.CreateTempSubdirectory("edgec-emulated-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    [SkippableFact]
    public async Task An_emulated_Raspberry_Pi_4_runs_arm64_edged_and_the_host_edgec_adds_it_pushes_benchmarks_and_it_stops_cleanly()
    {
        Toolchain.Require(Toolchain.MissingForEmulation(), "running the arm64 edged on an emulated board");
        Assert.Equal(0, publish.Get().ExitCode);
        var watch = Stopwatch.StartNew();
        var model = Path.Combine(Processes.RepositoryRoot(), "src/EdgeCompress.Cli/Demo/fmnist-baseline.onnx");
        var cpuinfo = Path.Combine(AppContext.BaseDirectory, "Board", "rpi4-cpuinfo.txt");
        string[] emulated =
        [
            "unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c",
            "mount --bind \"$0\" /proc/cpuinfo && exec qemu-aarch64-static -L / \"$@\"", cpuinfo, publish.Binary,
        ];

        using var board = await LiveEdged.StartAsync(https: true, profile: "rpi4", command: emulated, startTimeout: TimeSpan.FromMinutes(3));
        var started = watch.Elapsed;
        var add = await Edgec("devices", "add", "pi4-emu", board.Url, "--token-file", board.TokenFile, "--timeout", "60");
        var entry = DeviceRegistry.Load(Path.Combine(_home, "config", "devices.json")).Get("pi4-emu");
        var push = await Edgec("push", model, "--device", "pi4-emu", "--name", "fmnist", "--timeout", "120", "--json");
        var bench = await Edgec("bench", model, "--device", "pi4-emu", "--name", "fmnist", "--iterations", $"{Iterations}", "--warmup", "1",
            "--threads", "2", "--timeout", "120", "--json");
        // Real inputs on the board: 16 Fashion-MNIST test images, outputs computed by arm64 kernels, judged against x86's.
        var data = await Edgec("bench", model, "--device", "pi4-emu", "--name", "fmnist", "--data", "fashion-mnist:test@16", "--iterations", "3",
            "--timeout", "120", "--json");
        Protocol.DeviceInfo device;
        using (var client = new EdgedClient(entry, TimeSpan.FromSeconds(60)))
        {
            device = await client.DeviceAsync(CancellationToken.None);
        }

        var exitCode = board.Stop(TimeSpan.FromSeconds(60));
        output.WriteLine($"emulated board: started in {started.TotalSeconds:F1} s, whole session {watch.Elapsed.TotalSeconds:F1} s");

        Assert.True(add.ExitCode == 0, $"devices add: {add.Stderr}\n{board.Output}");
        Assert.Contains("added pi4-emu", add.Stdout, StringComparison.Ordinal);
        Assert.Contains("profile rpi4, aarch64", add.Stdout, StringComparison.Ordinal);
        Assert.Contains($"pinned TLS certificate SHA-256 {entry.FingerprintSha256}", add.Stdout, StringComparison.Ordinal);
        Assert.Equal(DeviceEntry.CompactFingerprint(device.TlsFingerprintSha256!), DeviceEntry.CompactFingerprint(entry.FingerprintSha256!));

        Assert.True(push.ExitCode == 0, $"push: {push.Stdout}{push.Stderr}\n{board.Output}");
        var pushed = Assert.Single(JsonSerializer.Deserialize(push.Stdout, FleetJsonContext.Default.ListFleetOutcomeReport)!);
        Assert.True(pushed is { Ok: true, Uploaded: true, ModelName: "fmnist", ModelVersion: 1 }, push.Stdout);

        Assert.True(bench.ExitCode == 0, $"bench: {bench.Stdout}{bench.Stderr}\n{board.Output}");
        var outcome = Assert.Single(JsonSerializer.Deserialize(bench.Stdout, FleetJsonContext.Default.ListFleetOutcomeReport)!);
        Assert.True(outcome.Ok, outcome.Error);
        var record = outcome.Record!;
        var result = record.Result;
        Assert.Equal(("pi4-emu", "rpi4", "aarch64"), (record.Device, record.Profile, record.Architecture));
        Assert.Equal((Iterations, 1), (result.Count, result.WarmupCount));
        Assert.True(result.InitMs > 0 && result.FirstInferenceMs > 0, $"init {result.InitMs} ms, first {result.FirstInferenceMs} ms");
        Assert.True(result.MinMs > 0 && result.MinMs <= result.P50Ms && result.P50Ms <= result.P99Ms && result.P99Ms <= result.MaxMs,
            $"min {result.MinMs} p50 {result.P50Ms} p99 {result.P99Ms} max {result.MaxMs}");
        Assert.InRange(result.MeanMs, result.MinMs, result.MaxMs);
        Assert.True(result.ThroughputPerSecond > 0, $"throughput {result.ThroughputPerSecond}");
        Assert.True(result.PeakRssBytes > 0, "no peak RSS");
        Assert.False(result.Power.Available, "power claimed without a sensor");
        Assert.False(string.IsNullOrEmpty(result.Power.Unavailable), "power unavailable without a reason");

        Assert.True(data.ExitCode == 0, $"bench --data: {data.Stdout}{data.Stderr}\n{board.Output}");
        var checkedOutputs = Assert.Single(JsonSerializer.Deserialize(data.Stdout, FleetJsonContext.Default.ListFleetOutcomeReport)!).Record!;
        Assert.Equal((16, "aarch64"), (checkedOutputs.Result.InputSamples, checkedOutputs.Architecture));
        var agreement = checkedOutputs.Agreement!;
        Assert.Null(agreement.Failure);
        var logits = Assert.Single(agreement.Outputs);
        output.WriteLine($"arm64 (emulated) vs x86-64 on {agreement.Samples} samples: {logits.Name}: {logits.Summary}, max |diff| {logits.MaxAbsDifference:G4}");
        Assert.Equal(100.0, logits.AgreementPercent);
        Assert.True(logits.Cosine > 0.9999, logits.Summary);

        Assert.Equal(("aarch64", "rpi4"), (device.Architecture, device.Profile));
        Assert.True(device.CpuCount > 0, "no CPU count"); // the host's cores: qemu-user passes sched_getaffinity through
        Assert.Contains("Cortex-A72", device.CpuModel, StringComparison.Ordinal);
        Assert.Contains("asimd", device.CpuFeatures);

        Assert.True(exitCode == 0, $"edged exited {exitCode} after SIGTERM:\n{board.Output}");
    }

    private async Task<CliResult> Edgec(params string[] args)
    {
        var result = await EdgecProcess.RunAsync(args, TimeSpan.FromMinutes(4), new Dictionary<string, string>
        {
            ["EDGEC_CONFIG_DIR"] = Path.Combine(_home, "config"),
            ["EDGEC_DATA_DIR"] = Path.Combine(_home, "data"),
        });
        output.WriteLine($"$ edgec {string.Join(' ', args)}  -> {result.ExitCode}\n{result.Stdout}{result.Stderr}");
        return result;
    }
}
