using EdgeCompress.Protocol;
using Microsoft.Data.Sqlite;

namespace EdgeCompress.Fleet.Tests;

public sealed class ResultsDatabaseTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fleet-results-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private string DbPath => Path.Combine(_folder, "data", "bench-results.db");

    [Fact]
    public void Appends_read_back_in_order_with_ids_and_export_csv_with_quoting()
    {
        var database = new ResultsDatabase(DbPath);
        var ids = database.Append([Record("pi1", 1.25), Record("pi2, the second", 2.5)]);
        database.Append([Record("local", 0.5)]);

        var runs = database.ReadAll();
        using var csv = new StringWriter();
        ResultsExport.WriteCsv(runs, csv);
        var lines = csv.ToString().TrimEnd('\n').Split('\n');

        Assert.Equal(2, ids.Count);
        Assert.Equal(["pi1", "pi2, the second", "local"], runs.Select(r => r.Record.Device));
        Assert.Equal([ids[0], ids[1], ids[1] + 1], runs.Select(r => r.Id));
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("time_utc,device,", lines[0], StringComparison.Ordinal);
        Assert.EndsWith(",run_id,edged_version,power_scope,temperature_before_c,temperature_after_c", lines[0], StringComparison.Ordinal);
        var p50Column = ResultsExport.CsvColumns.ToList().IndexOf("p50_ms");
        Assert.Equal("1.25", lines[1].Split(',')[p50Column]);
        Assert.Contains("\"pi2, the second\"", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Every_field_survives_and_the_columns_a_user_queries_are_typed()
    {
        var record = Record("pi5", 12.5);
        record.Profile = "rpi5";
        record.EdgedVersion = "0.9.1";
        record.Result.PercentilesMs = [.. Enumerable.Range(0, 101).Select(i => 10 + i * 0.05)];
        record.Result.PeakRssBytes = 123_456_789;
        record.Result.OnnxRuntimeVersion = "1.31.1";
        record.Result.Thermal = new ThermalResult { TemperatureAfterCelsius = 61.5, ThrottlingFlagsAfter = ["soft temperature limit now"] };
        record.Result.Power = new PowerResult { Available = true, SensorName = "INA219 @0x40", Measures = "board input", MeanWatts = 4.2, EnergyPerInferenceMillijoules = 52.5 };
        var database = new ResultsDatabase(DbPath);
        database.Append([record]);

        var back = Assert.Single(database.ReadAll()).Record;
        using var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT typeof(p50_ms), typeof(peak_rss_bytes), power_scope, energy_per_inference_mj, temperature_after_c, edged_version, profile, throttling FROM runs";
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());

        Assert.Equal(101, back.Result.PercentilesMs.Count);
        Assert.Equal("board input", back.Result.Power.Measures);
        Assert.Equal(["soft temperature limit now"], back.Result.Thermal.ThrottlingFlagsAfter);
        Assert.Equal("real", reader.GetString(0));
        Assert.Equal("integer", reader.GetString(1));
        Assert.Equal("board input", reader.GetString(2));
        Assert.Equal(52.5, reader.GetDouble(3));
        Assert.Equal(61.5, reader.GetDouble(4));
        Assert.Equal("0.9.1", reader.GetString(5));
        Assert.Equal("rpi5", reader.GetString(6));
        Assert.Equal("soft temperature limit now", reader.GetString(7));
    }

    [Fact]
    public void A_legacy_json_lines_file_is_imported_once_and_kept_renamed()
    {
        var legacy = Path.Combine(_folder, "data", ResultsDatabase.LegacyFileName);
        Directory.CreateDirectory(Path.GetDirectoryName(legacy)!);
        var lines = new[] { Record("pi1", 1.0), Record("pi2", 2.0) }
            .Select(r => System.Text.Json.JsonSerializer.Serialize(r, FleetJsonContext.Default.BenchRecord));
        File.WriteAllText(legacy, string.Join('\n', lines) + "\n{\"timeUtc\": \"2026-");

        var first = new ResultsDatabase(DbPath);
        var runs = first.ReadAll();
        var again = new ResultsDatabase(DbPath);
        File.Copy(legacy + ".imported", legacy);   // the same file put back (a restored backup): not imported twice
        var afterRestore = again.ReadAll();

        Assert.Equal(["pi1", "pi2"], runs.Select(r => r.Record.Device));
        Assert.Equal(new LegacyImport(legacy, 2, 1, legacy + ".imported"), first.Imported);
        Assert.Null(again.Imported);
        Assert.Equal(2, afterRestore.Count);
        Assert.False(File.Exists(legacy));
        Assert.True(File.Exists(legacy + ".imported.2"));
    }

    [Fact]
    public void Queries_filter_by_device_model_name_file_hash_prefix_time_and_last()
    {
        var database = new ResultsDatabase(DbPath);
        var old = Record("pi1", 1.0);
        old.TimeUtc = DateTimeOffset.UtcNow.AddDays(-10);
        var other = Record("pi2", 3.0);
        other.ModelName = "resnet";
        other.ModelFile = "/models/resnet_50.onnx";
        other.ModelSha256 = "abcdef0123" + new string('9', 54);
        database.Append([old, Record("pi1", 2.0), other, Record("pi2", 4.0)]);

        IEnumerable<double> P50(ResultsQuery q) => database.Query(q).Select(r => r.Record.Result.P50Ms);

        Assert.Equal([1.0, 2.0], P50(new ResultsQuery { Device = "pi1" }));
        Assert.Equal([3.0], P50(new ResultsQuery { Model = "resnet" }));
        Assert.Equal([3.0], P50(new ResultsQuery { Model = "resnet_50.onnx" }));
        Assert.Empty(P50(new ResultsQuery { Model = "resnet%50.onnx" }));
        Assert.Equal([3.0], P50(new ResultsQuery { Model = "ABCDEF01" }));
        Assert.Equal([2.0, 3.0, 4.0], P50(new ResultsQuery { Since = DateTimeOffset.UtcNow.AddDays(-7) }));
        Assert.Equal([3.0, 4.0], P50(new ResultsQuery { Last = 2 }));
        Assert.Equal([4.0], P50(new ResultsQuery { Device = "pi2", Model = "model" }));
    }

    [Fact]
    public void Concurrent_writers_lose_no_run()
    {
        var path = DbPath;
        Parallel.For(0, 4, writer =>
        {
            var database = new ResultsDatabase(path);
            for (var i = 0; i < 10; i++)
            {
                database.Append([Record($"w{writer}", i)]);
            }
        });

        var runs = new ResultsDatabase(path).ReadAll();
        Assert.Equal(40, runs.Count);
        Assert.Equal(40, runs.Select(r => r.Id).Distinct().Count());
    }

    [Fact]
    public void A_database_from_a_newer_edgec_and_a_file_that_is_not_one_get_clear_errors()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(DbPath)!);
        using (var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 7";
            command.ExecuteNonQuery();
        }

        var junk = Path.Combine(_folder, "junk.db");
        File.WriteAllText(junk, "this is not a database, it is a text file that is long enough to have a header page........");

        var newer = Assert.Throws<FleetException>(() => new ResultsDatabase(DbPath).ReadAll());
        var notOne = Assert.Throws<FleetException>(() => new ResultsDatabase(junk).Append([Record("pi1", 1)]));

        Assert.Equal($"results database {DbPath} has schema version 7; this edgec reads up to 1 (a newer edgec wrote it)", newer.Message);
        Assert.StartsWith($"results database {junk}: ", notOne.Message, StringComparison.Ordinal);
        Assert.Contains("not a database", notOne.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Comparison_flags_a_real_slowdown_with_its_band_and_leaves_noise_alone()
    {
        var a = Distributed(10.0, 0.4, count: 200);
        var same = Distributed(10.05, 0.4, count: 200);
        var slower = Distributed(12.0, 0.4, count: 200);
        var slightly = Distributed(10.3, 0.05, count: 2000);

        var p50Same = RunComparison.Compare(a, same).Single(c => c.Metric == "p50 ms");
        var p50Slower = RunComparison.Compare(a, slower).Single(c => c.Metric == "p50 ms");
        var p50Slight = RunComparison.Compare(a, slightly).Single(c => c.Metric == "p50 ms");
        var faster = RunComparison.Compare(slower, a).Single(c => c.Metric == "p50 ms");

        Assert.Equal(ChangeVerdict.WithinNoise, p50Same.Verdict);
        Assert.Equal(ChangeVerdict.Regression, p50Slower.Verdict);
        Assert.Equal(20.0, p50Slower.DeltaPercent!.Value, 1);
        // Band: 1.96 * sqrt(2) * sqrt(0.25/200) * (P55 - P45) / 0.10, with P55 - P45 = 0.16 ms for this spread.
        Assert.Equal(1.96 * Math.Sqrt(2) * Math.Sqrt(0.25 / 200) * 1.6, p50Slower.NoiseBand!.Value, 3);
        Assert.Equal(ChangeVerdict.WithinNoise, p50Slight.Verdict);   // 3% is beyond its band but inside the 5% tolerance
        Assert.Equal(ChangeVerdict.Regression, RunComparison.Compare(a, slightly, tolerancePercent: 1).Single(c => c.Metric == "p50 ms").Verdict);
        Assert.Equal(ChangeVerdict.Improvement, faster.Verdict);
        Assert.True(RunComparison.AnyRegression(RunComparison.Compare(a, slower)));
        Assert.Equal(ChangeVerdict.NotComparable, RunComparison.Compare(a, slower).Single(c => c.Metric.StartsWith("energy", StringComparison.Ordinal)).Verdict);
    }

    /// <summary>A run whose percentiles rise linearly: median <paramref name="p50"/>, P0..P100 spanning ±2 half-widths.</summary>
    private static BenchRecord Distributed(double p50, double halfWidth, int count)
    {
        var record = Record("pi1", p50);
        record.Result.Count = count;
        record.Result.P90Ms = p50 + 0.8 * 2 * halfWidth;
        record.Result.P99Ms = p50 + 0.98 * 2 * halfWidth;
        record.Result.MeanMs = p50;
        record.Result.StdMs = halfWidth;
        record.Result.PercentilesMs = [.. Enumerable.Range(0, 101).Select(i => p50 + (i - 50) / 50.0 * 2 * halfWidth)];
        return record;
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
        Result = new BenchmarkResult { Count = 10, P50Ms = p50, OnnxRuntimeVersion = "1.31.1" },
    };
}
