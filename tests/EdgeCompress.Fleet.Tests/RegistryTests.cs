namespace EdgeCompress.Fleet.Tests;

public sealed class RegistryTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fleet-registry-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Registry_round_trips_fingerprints_and_groups_and_never_holds_a_token()
    {
        var path = Path.Combine(_folder, "devices.json");
        var registry = DeviceRegistry.Load(path);
        registry.Add(new DeviceEntry { Name = "pi1", Url = "https://10.0.0.1:8443", TokenFile = "/secrets/pi1", FingerprintSha256 = "AB:CD", Groups = ["lab"] });
        registry.Add(new DeviceEntry { Name = "pi2", Url = "https://10.0.0.2:8443", TokenFile = "/secrets/pi2" });
        registry.Save();

        var loaded = DeviceRegistry.Load(path);

        Assert.Equal("AB:CD", loaded.Get("pi1").FingerprintSha256);
        Assert.Equal(["pi1"], loaded.Select([], all: false, groups: ["lab"]).Select(d => d.Name));
        Assert.Equal(["pi1", "pi2"], loaded.Select([], all: true, groups: []).Select(d => d.Name));
        Assert.DoesNotContain("token\"", File.ReadAllText(path).Replace("tokenFile", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Unknown_device_and_group_errors_list_what_is_registered()
    {
        var registry = DeviceRegistry.Load(Path.Combine(_folder, "devices.json"));
        registry.Add(new DeviceEntry { Name = "pi1", Url = "http://127.0.0.1:1", TokenFile = "t", Groups = ["lab"] });

        Assert.Equal("unknown device 'pi9' (registered: pi1)", Assert.Throws<FleetException>(() => registry.Get("pi9")).Message);
        Assert.Equal("unknown group 'farm' (groups: lab)", Assert.Throws<FleetException>(() => registry.Select([], false, ["farm"])).Message);
    }
}
