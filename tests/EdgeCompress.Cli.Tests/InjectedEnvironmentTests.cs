using EdgeCompress.Compression.Quantization;
using EdgeCompress.Fleet;
using EdgeCompress.Onnx;
using EdgeCompress.Profiles;

namespace EdgeCompress.Cli.Tests;

/// <summary>edgec reads the machine once (paths, profile store, the host's int8 kernels) into an EdgecEnvironment that
/// tests can replace: the quantize scheme a user gets on an x86 host without VNNI, or on ARM, is checked from any host.</summary>
public sealed class InjectedEnvironmentTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgec-env-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private EdgecEnvironment On(Int8Host host) => new(
        FleetPaths.FromEnvironment(name => name switch { "EDGEC_CONFIG_DIR" => Path.Combine(_dir, "config"), "EDGEC_DATA_DIR" => Path.Combine(_dir, "data"), _ => null }),
        ProfileStore.Default(),
        host);

    private async Task<(int Code, string Out, string Err)> Quantize(EdgecEnvironment env, params string[] extra)
    {
        var input = Path.Combine(_dir, "centroid.onnx");
        QuantizeCliModels.Centroid().Save(input);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await EdgecApp.RunAsync(["quantize", input, "--out", Path.Combine(_dir, "q.onnx"), .. extra], stdout, stderr, env);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task On_x86_without_vnni_quantize_chooses_7_bit_weights_and_says_why()
    {
        var (code, stdout, stderr) = await Quantize(On(new Int8Host(NeedsReduceRange: true, PrefersUint8Activations: true)), "--mode", "dynamic");

        Assert.True(code == 0, stderr);
        Assert.Contains("reduce-range    on (7-bit weights): this host: x86 without VNNI, whose int8 kernels saturate 8-bit weights", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_arm_quantize_chooses_s8s8_and_8_bit_weights()
    {
        var (code, stdout, stderr) = await Quantize(On(new Int8Host(NeedsReduceRange: false, PrefersUint8Activations: false)),
            "--calibration", "synthetic:4", "--no-speed-check");

        Assert.True(code == 0, stderr);
        Assert.Contains("activations     int8 (S8S8): default: S8S8, ONNX Runtime's recommended scheme", stdout, StringComparison.Ordinal);
        Assert.Contains("reduce-range    off (8-bit weights): this host computes 8-bit weights exactly", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Paths_and_profile_folders_come_from_the_environment_given_not_the_process()
    {
        var env = new Dictionary<string, string?> { ["XDG_CONFIG_HOME"] = "/cfg", ["XDG_DATA_HOME"] = "/data", ["EDGEC_PROFILES"] = "/my/profiles" };

        var paths = FleetPaths.FromEnvironment(env.GetValueOrDefault, home: "/home/u");
        var profiles = ProfileStore.FromEnvironment(env.GetValueOrDefault, installDirectory: "/opt/edgec", workingDirectory: "/");

        Assert.Equal("/cfg/edgecompress/devices.json", paths.RegistryFile);
        Assert.Equal("/data/edgecompress/bench-results.db", paths.ResultsFile);
        Assert.Equal("/home/u/.config/edgecompress", FleetPaths.FromEnvironment(_ => null, home: "/home/u").ConfigDirectory);
        Assert.Equal(["/my/profiles", "/cfg/edgec/profiles", "/etc/edged/profiles"], profiles.Directories);
    }
}
