namespace EdgeCompress.Fleet.Tests;

public sealed class InventoryTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fleet-inventory-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Ini_inventory_gives_urls_token_files_and_groups_with_group_vars_under_host_vars()
    {
        var path = Write("hosts.ini", """
            # lab boards
            standalone ansible_host=10.0.0.5 edged_url=http://10.0.0.5:8080

            [pis]
            pi[01:02] ansible_host=10.0.0.1 edged_port=9443
            pi5 ansible_host=10.0.0.55 edged_token_file=tokens/pi5

            [jetsons]
            orin ansible_host=10.0.0.20

            [pis:vars]
            edged_token_file=tokens/pis

            [lab:children]
            pis
            jetsons

            [all:vars]
            edged_token_file=tokens/all
            """);

        var devices = Inventory.Load(path).ToDevices(path, defaultTokenFile: null).ToDictionary(d => d.Name);

        Assert.Equal(["orin", "pi01", "pi02", "pi5", "standalone"], devices.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("https://10.0.0.1:9443", devices["pi01"].Url);
        Assert.Equal("https://10.0.0.20:8443", devices["orin"].Url);
        Assert.Equal("http://10.0.0.5:8080", devices["standalone"].Url);
        Assert.Equal(Path.Combine(_folder, "tokens", "pis"), devices["pi02"].TokenFile);
        Assert.Equal(Path.Combine(_folder, "tokens", "pi5"), devices["pi5"].TokenFile);
        Assert.Equal(Path.Combine(_folder, "tokens", "all"), devices["orin"].TokenFile);
        Assert.Equal(["lab", "pis"], devices["pi5"].Groups.Order(StringComparer.Ordinal));
        Assert.Equal(["jetsons", "lab"], devices["orin"].Groups.Order(StringComparer.Ordinal));
        Assert.Null(devices["pi01"].FingerprintSha256);
    }

    [Fact]
    public void Yaml_inventory_with_nested_children_gives_the_same_kind_of_entries()
    {
        var path = Write("hosts.yml", """
            all:
              vars:
                edged_port: 8443
              children:
                boards:
                  vars:
                    edged_token_file: /etc/edgec/board.token
                  children:
                    rpi:
                      hosts:
                        pi-a:
                          ansible_host: 192.168.1.10
                        pi-b:
                    jetson:
                      hosts:
                        nano:
                          edged_url: https://nano.lab:9000
            """);

        var devices = Inventory.Load(path).ToDevices(path, defaultTokenFile: null).ToDictionary(d => d.Name);

        Assert.Equal("https://192.168.1.10:8443", devices["pi-a"].Url);
        Assert.Equal("https://pi-b:8443", devices["pi-b"].Url);
        Assert.Equal("https://nano.lab:9000", devices["nano"].Url);
        Assert.Equal("/etc/edgec/board.token", devices["nano"].TokenFile);
        Assert.Equal(["boards", "rpi"], devices["pi-a"].Groups.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_host_without_any_token_file_is_named_in_the_error()
    {
        var path = Write("bare.ini", "[pis]\npi1 ansible_host=10.0.0.1\n");

        var error = Assert.Throws<FleetException>(() => Inventory.Load(path).ToDevices(path, defaultTokenFile: null));

        Assert.Equal($"inventory {path}: host 'pi1' has no edged_token_file var and no --token-file was given", error.Message);
    }

    [Fact]
    public void Broken_yaml_is_reported_with_its_line()
    {
        var path = Write("broken.yaml", "all:\n  hosts:\n    pi1: [unclosed\n");

        var error = Assert.Throws<FleetException>(() => Inventory.Load(path));

        Assert.StartsWith($"inventory {path}: not valid YAML at line", error.Message, StringComparison.Ordinal);
    }
}
