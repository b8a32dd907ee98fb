using System.Text.Json;
using EdgeCompress.Fleet;

namespace EdgeCompress.Cli.Tests;

/// <summary>One plain-HTTP and one HTTPS edged on 127.0.0.1 for the devices/push tests.</summary>
public sealed class TwoDaemonsFixture : IAsyncLifetime
{
    internal LiveEdged Http { get; private set; } = null!;

    internal LiveEdged Tls { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var http = LiveEdged.StartAsync(profile: "cli-http");
        var tls = LiveEdged.StartAsync(https: true, profile: "cli-tls");
        (Http, Tls) = (await http, await tls);
    }

    public Task DisposeAsync()
    {
        Http.Dispose();
        Tls.Dispose();
        return Task.CompletedTask;
    }
}

[Collection(FleetCliGroup.Name)]
public sealed class DevicesCommandTests(TwoDaemonsFixture daemons) : IDisposable
{
    private readonly FleetCliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Devices_add_list_remove_round_trip_without_ever_printing_the_token()
    {
        var token = (await File.ReadAllTextAsync(daemons.Http.TokenFile)).Trim();

        var add = await FleetCliHarness.RunAsync("devices", "add", "bench-pi", daemons.Http.Url, "--token-file", daemons.Http.TokenFile, "--group", "lab");
        var list = await FleetCliHarness.RunAsync("devices", "list", "--json");
        var table = await FleetCliHarness.RunAsync("devices", "list");
        var remove = await FleetCliHarness.RunAsync("devices", "remove", "bench-pi");
        var empty = await FleetCliHarness.RunAsync("devices", "list");

        Assert.Equal(0, add.Exit);
        Assert.StartsWith($"added bench-pi: {daemons.Http.Url}, profile cli-http", add.Out, StringComparison.Ordinal);
        var report = Assert.Single(JsonSerializer.Deserialize(list.Out, FleetJsonContext.Default.ListDeviceReport)!);
        Assert.True(report.Reachable);
        Assert.Equal("cli-http", report.Device!.Profile);
        Assert.Equal(["lab"], report.Groups);
        Assert.Contains("bench-pi", table.Out, StringComparison.Ordinal);
        Assert.Contains("ok ", table.Out, StringComparison.Ordinal);
        Assert.Equal((0, "removed bench-pi\n"), (remove.Exit, remove.Out));
        Assert.StartsWith("no devices registered", empty.Out, StringComparison.Ordinal);
        foreach (var text in new[] { add.Out, add.Error, list.Out, table.Out, await File.ReadAllTextAsync(_cli.RegistryFile) })
        {
            Assert.DoesNotContain(token, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Add_over_tls_pins_the_fingerprint_and_a_changed_certificate_is_refused_with_one_warning_line()
    {
        var add = await FleetCliHarness.RunAsync("devices", "add", "secure-pi", daemons.Tls.Url, "--token-file", daemons.Tls.TokenFile);
        var pinned = DeviceRegistry.Load(_cli.RegistryFile).Get("secure-pi").FingerprintSha256!;
        var ok = await FleetCliHarness.RunAsync("devices", "list", "--json");

        // The board now presents another certificate (reinstalled, or someone in between).
        var registry = DeviceRegistry.Load(_cli.RegistryFile);
        var wrong = DeviceEntry.DisplayFingerprint(new string('0', 64));
        registry.Get("secure-pi").FingerprintSha256 = wrong;
        registry.Save();
        var model = FleetModels.WriteMlp(_cli.Root);
        var refused = await FleetCliHarness.RunAsync("push", model, "--device", "secure-pi");

        Assert.Equal(0, add.Exit);
        Assert.Contains($"pinned TLS certificate SHA-256 {pinned}", add.Out, StringComparison.Ordinal);
        Assert.Equal(95, pinned.Length);
        Assert.True(Assert.Single(JsonSerializer.Deserialize(ok.Out, FleetJsonContext.Default.ListDeviceReport)!).Reachable);
        Assert.Equal(2, refused.Exit);
        Assert.Equal(
            $"edgec: WARNING: the TLS certificate of device 'secure-pi' ({daemons.Tls.Url}) has changed: pinned SHA-256 {wrong}, presented {pinned}; " +
            "refusing to connect (if edged was reinstalled on purpose, run `edgec devices remove secure-pi` and add it again)\n", refused.Error);
    }

    [Fact]
    public async Task A_wrong_token_is_one_line_explaining_the_401_and_nothing_is_registered()
    {
        var tokenFile = Path.Combine(_cli.Root, "stale-token");
        await File.WriteAllTextAsync(tokenFile, "an-old-token-from-last-year");

        var result = await FleetCliHarness.RunAsync("devices", "add", "stale", daemons.Http.Url, "--token-file", tokenFile);

        Assert.Equal(2, result.Exit);
        Assert.Equal($"edgec: token rejected by stale ({daemons.Http.Url}): check --token-file (the registry uses {tokenFile})\n", result.Error);
        Assert.False(File.Exists(_cli.RegistryFile));
    }

    [Fact]
    public async Task An_unreachable_url_is_one_line_stating_the_timeout()
    {
        using var silent = new SilentListener();

        var result = await FleetCliHarness.RunAsync("devices", "add", "hung", silent.Url, "--token-file", daemons.Http.TokenFile, "--timeout", "1");

        Assert.Equal(2, result.Exit);
        Assert.Equal($"edgec: device 'hung' unreachable: no answer from {silent.Url} within 1 s\n", result.Error);
    }

    [Fact]
    public async Task An_unknown_device_is_one_line_naming_the_registered_ones()
    {
        await FleetCliHarness.RunAsync("devices", "add", "known-pi", daemons.Http.Url, "--token-file", daemons.Http.TokenFile);
        var model = FleetModels.WriteMlp(_cli.Root);

        var push = await FleetCliHarness.RunAsync("push", model, "--device", "nope");
        var remove = await FleetCliHarness.RunAsync("devices", "remove", "nope");

        Assert.Equal((2, "edgec: unknown device 'nope' (registered: known-pi)\n"), (push.Exit, push.Error));
        Assert.Equal((2, "edgec: unknown device 'nope' (registered: known-pi)\n"), (remove.Exit, remove.Error));
    }

    [Fact]
    public async Task An_ansible_inventory_imports_hosts_with_groups_and_pins_tls_hosts_on_import()
    {
        var inventory = Path.Combine(_cli.Root, "hosts.ini");
        await File.WriteAllTextAsync(inventory, $"""
            [plain]
            box-a edged_url={daemons.Http.Url} edged_token_file={daemons.Http.TokenFile}

            [secure]
            box-b ansible_host=127.0.0.1 edged_port={daemons.Tls.Port} edged_token_file={daemons.Tls.TokenFile}

            [lab:children]
            plain
            secure
            """);

        var result = await FleetCliHarness.RunAsync("devices", "import", inventory);
        var registry = DeviceRegistry.Load(_cli.RegistryFile);
        var push = await FleetCliHarness.RunAsync("push", FleetModels.WriteMlp(_cli.Root, seed: 5), "--group", "lab");

        Assert.Equal(0, result.Exit);
        Assert.StartsWith($"imported 2 device(s) from {inventory} (groups: lab, plain, secure); 1 pinned now", result.Out, StringComparison.Ordinal);
        Assert.Equal(["lab", "secure"], registry.Get("box-b").Groups.Order(StringComparer.Ordinal));
        Assert.Equal($"https://127.0.0.1:{daemons.Tls.Port}", registry.Get("box-b").Url);
        Assert.NotNull(registry.Get("box-b").FingerprintSha256);
        Assert.Equal(0, push.Exit);
        Assert.Contains("pushed mlp on 2 of 2 device(s)", push.Out, StringComparison.Ordinal);
    }
}
