using EdgeCompress.Protocol;

namespace EdgeCompress.Fleet.Tests;

public sealed class RegistryAndResultsTests : IDisposable
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

    [Fact]
    public void Results_database_appends_reads_back_skips_a_torn_line_and_exports_csv()
    {
        var database = new ResultsDatabase(Path.Combine(_folder, "data", "bench-results.jsonl"));
        database.Append([Record("pi1", 1.25), Record("pi2, the second", 2.5)]);
        File.AppendAllText(database.Path, "{\"timeUtc\": \"2026-");
        database.Append([Record("local", 0.5)]);

        var records = database.ReadAll(out var skipped);
        using var csv = new StringWriter();
        ResultsDatabase.WriteCsv(records, csv);
        var lines = csv.ToString().TrimEnd('\n').Split('\n');

        Assert.Equal(1, skipped);
        Assert.Equal(["pi1", "pi2, the second", "local"], records.Select(r => r.Device));
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("time_utc,device,", lines[0], StringComparison.Ordinal);
        var p50Column = ResultsDatabase.CsvColumns.ToList().IndexOf("p50_ms");
        Assert.Equal("1.25", lines[1].Split(',')[p50Column]);
        Assert.Contains("\"pi2, the second\"", lines[2], StringComparison.Ordinal);
    }

    private static BenchRecord Record(string device, double p50) => new()
    {
        TimeUtc = DateTimeOffset.UtcNow,
        Device = device,
        ModelFile = "/m/model.onnx",
        ModelName = "model",
        ModelSha256 = new string('0', 64),
        Threads = 1,
        Iterations = 10,
        Result = new BenchmarkResult { Count = 10, P50Ms = p50 },
    };
}
