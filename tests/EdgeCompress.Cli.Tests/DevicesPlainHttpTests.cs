using EdgeCompress.Fleet;

namespace EdgeCompress.Cli.Tests;

/// <summary>Every request carries the bearer token, so registering a plain-http daemon says so (and still registers it).</summary>
[Collection(FleetCliGroup.Name)]
public sealed class DevicesPlainHttpTests(TwoDaemonsFixture daemons) : IDisposable
{
    private readonly FleetCliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Adding_a_plain_http_device_warns_that_the_token_travels_in_clear_text_and_still_adds_it()
    {
        var add = await FleetCliHarness.RunAsync("devices", "add", "open-pi", daemons.Http.Url, "--token-file", daemons.Http.TokenFile);

        Assert.Equal(0, add.Exit);
        Assert.Equal($"warning: open-pi: {daemons.Http.Url} is plain http, so the bearer token travels in clear text; prefer https://, " +
                     "which edged serves by default with a self-signed certificate that edgec pins on first contact\n", add.Error);
        Assert.StartsWith($"added open-pi: {daemons.Http.Url}", add.Out, StringComparison.Ordinal);
        Assert.Equal(daemons.Http.Url, DeviceRegistry.Load(_cli.RegistryFile).Get("open-pi").Url);
    }

    [Fact]
    public async Task Adding_an_https_device_prints_no_warning()
    {
        var add = await FleetCliHarness.RunAsync("devices", "add", "closed-pi", daemons.Tls.Url, "--token-file", daemons.Tls.TokenFile);

        Assert.Equal((0, ""), (add.Exit, add.Error));
        Assert.Contains("pinned TLS certificate SHA-256 ", add.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Importing_an_inventory_warns_once_for_each_plain_http_host_only()
    {
        var inventory = Path.Combine(_cli.Root, "hosts.ini");
        await File.WriteAllTextAsync(inventory, $"""
            [lab]
            open-box edged_url={daemons.Http.Url} edged_token_file={daemons.Http.TokenFile}
            closed-box edged_url={daemons.Tls.Url} edged_token_file={daemons.Tls.TokenFile}
            """);

        var import = await FleetCliHarness.RunAsync("devices", "import", inventory);

        Assert.Equal(0, import.Exit);
        Assert.Equal($"warning: open-box: {daemons.Http.Url} is plain http, so the bearer token travels in clear text; prefer https://, " +
                     "which edged serves by default with a self-signed certificate that edgec pins on first contact\n", import.Error);
    }
}
