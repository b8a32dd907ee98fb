namespace EdgeCompress.Profiles.Tests;

public sealed class ProfileStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgec-profiles-").FullName;

    private static ProfileStore Shipped() => ProfileStore.Default();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Every_shipped_profile_loads_and_validates()
    {
        var store = Shipped();
        Assert.Equal(new[] { "jetson-nano", "jetson-orin-nano", "rpi4", "rpi5", "x64-host" }, store.Ids());
        foreach (var id in store.Ids())
        {
            var p = store.Load(id);
            Assert.Equal(id, p.Id);
        }
    }

    [Fact]
    public void Raspberry_pi_4_and_5_differ_where_their_cpus_differ()
    {
        var store = Shipped();
        var pi4 = store.Load("rpi4");
        var pi5 = store.Load("rpi5");
        Assert.DoesNotContain("dotprod", pi4.Cpu.Features);
        Assert.Contains("dotprod", pi5.Cpu.Features);
        Assert.NotEqual(pi4.ChannelRounding, pi5.ChannelRounding);
        Assert.True(pi5.CostModel.Int8MegaMacsPerSecondPerCore / pi5.CostModel.Fp32MegaMacsPerSecondPerCore
            > pi4.CostModel.Int8MegaMacsPerSecondPerCore / pi4.CostModel.Fp32MegaMacsPerSecondPerCore);
        Assert.Equal("rails", pi5.Power.Measures);
    }

    [Fact]
    public void An_unknown_profile_name_lists_the_known_ones()
    {
        var e = Assert.Throws<ProfileException>(() => Shipped().Load("rpi3"));
        Assert.Equal("unknown profile 'rpi3'; known profiles: jetson-nano, jetson-orin-nano, rpi4, rpi5, x64-host", e.Message);
    }

    [Fact]
    public void A_field_of_the_wrong_type_is_named_with_its_file()
    {
        var text = File.ReadAllText(Shipped().PathOf("rpi4")!).Replace("\"cores\": 4", "\"cores\": \"four\"", StringComparison.Ordinal);
        var path = Path.Combine(_dir, "rpi4.json");
        File.WriteAllText(path, text);
        var e = Assert.Throws<ProfileException>(() => new ProfileStore(_dir).Load("rpi4"));
        Assert.StartsWith($"{path}: field 'cpu.cores':", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelt_field_is_refused_rather_than_ignored()
    {
        var text = File.ReadAllText(Shipped().PathOf("rpi5")!).Replace("\"channelRounding\"", "\"channelRoundng\"", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(_dir, "rpi5.json"), text);
        var e = Assert.Throws<ProfileException>(() => new ProfileStore(_dir).Load("rpi5"));
        Assert.Contains("field 'channelRoundng': unknown field", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_ina219_profile_without_a_shunt_value_is_invalid()
    {
        var text = File.ReadAllText(Shipped().PathOf("rpi4")!).Replace("\"shuntOhms\": 0.1, ", "", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(_dir, "rpi4.json"), text);
        var e = Assert.Throws<ProfileException>(() => new ProfileStore(_dir).Load("rpi4"));
        Assert.Contains("field 'power.shuntOhms': required and > 0 for an ina219 sensor", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Folders_are_searched_in_order_and_a_users_profile_shadows_the_shipped_one()
    {
        var shipped = Shipped();
        var text = File.ReadAllText(shipped.PathOf("rpi5")!).Replace("\"frequencyMhz\": 2400", "\"frequencyMhz\": 2000", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(_dir, "rpi5.json"), text);
        var store = new ProfileStore([_dir, .. shipped.Directories]);
        Assert.Equal(2000, store.Load("rpi5").Cpu.FrequencyMhz);
        Assert.Equal(2400, shipped.Load("rpi5").Cpu.FrequencyMhz);
        Assert.Equal(1800, store.Load("rpi4").Cpu.FrequencyMhz);
        Assert.Equal(shipped.Ids(), store.Ids());
    }

    [Fact]
    public void With_no_profiles_anywhere_the_error_names_every_folder_searched()
    {
        var missing = Path.Combine(_dir, "nothing-here");
        var e = Assert.Throws<ProfileException>(() => new ProfileStore(_dir, missing).Load("rpi5"));
        Assert.Equal($"unknown profile 'rpi5': no profiles found in {_dir}, {missing}", e.Message);
    }

    [Fact]
    public void The_default_search_order_is_env_user_config_install_checkout_then_etc()
    {
        var dirs = ProfileStore.DefaultDirectories().ToList();
        var config = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg
            ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        Assert.Contains(Path.GetFullPath(Path.Combine(config, "edgec", "profiles")), dirs);
        Assert.Equal("/etc/edged/profiles", dirs[^1]);
        var install = dirs.FindIndex(d => File.Exists(Path.Combine(d, "rpi5.json")));
        Assert.True(install > dirs.IndexOf(Path.GetFullPath(Path.Combine(config, "edgec", "profiles"))), string.Join(", ", dirs));
    }
}
