using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace EdgeCompress.Fleet;

/// <summary>
/// The local results database: one SQLite file (bench-results.db in the data folder), one row per benchmark run,
/// written in one transaction per command. The columns a user filters or plots on are real columns (device, profile,
/// model hash, settings, edged and ONNX Runtime versions, the latency distribution, memory, energy with its sensor's
/// scope, temperature); the whole record is kept beside them as JSON, so nothing a run measured is lost. A JSON-lines
/// database from earlier versions (bench-results.jsonl beside it) is imported on first use and renamed, not deleted.
/// </summary>
public sealed class ResultsDatabase
{
    /// <summary>The legacy JSON-lines file name, imported on first use.</summary>
    public const string LegacyFileName = "bench-results.jsonl";

    private const int SchemaVersion = 1;

    private static readonly string[] Columns =
    [
        "time_utc", "device", "device_url", "profile", "hostname", "architecture", "cpu_model", "edged_version", "onnxruntime_version",
        "model_file", "model_name", "model_version", "model_sha256", "model_bytes", "threads", "warmup", "iterations", "duration_s",
        "power_requested", "job_id", "count", "init_ms", "first_ms", "min_ms", "mean_ms", "std_ms", "p50_ms", "p90_ms", "p95_ms",
        "p99_ms", "p999_ms", "max_ms", "percentiles_ms", "throughput_per_s", "peak_rss_bytes", "rss_delta_bytes", "cpu_utilization",
        "power_available", "power_sensor", "power_scope", "power_mean_w", "energy_per_inference_mj", "temperature_before_c",
        "temperature_after_c", "throttling", "record_json",
    ];

    private bool _ready;

    /// <summary>Opens the database at <paramref name="path"/> (default: the data folder's bench-results.db). Nothing is
    /// created until the first read or write.</summary>
    public ResultsDatabase(string path) => Path = System.IO.Path.GetFullPath(path);

    /// <summary>The SQLite file.</summary>
    public string Path { get; }

    /// <summary>The JSON-lines file this database imports on first use (same folder).</summary>
    public string LegacyPath => System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, LegacyFileName);

    /// <summary>What the first use imported from <see cref="LegacyPath"/>; null when there was nothing to import.</summary>
    public LegacyImport? Imported { get; private set; }

    /// <summary>Appends records in one transaction; creates the folder and file when needed. Returns the new run ids.</summary>
    public IReadOnlyList<long> Append(IEnumerable<BenchRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var list = records.ToList();
        if (list.Count == 0)
        {
            return [];
        }

        return Use(connection =>
        {
            using var transaction = connection.BeginTransaction();
            var ids = Insert(connection, transaction, list);
            transaction.Commit();
            return ids;
        });
    }

    /// <summary>Every stored run, oldest first.</summary>
    public IReadOnlyList<StoredRun> ReadAll() => Query(new ResultsQuery());

    /// <summary>The runs <paramref name="query"/> selects, oldest first (the newest <see cref="ResultsQuery.Last"/> when set).</summary>
    public IReadOnlyList<StoredRun> Query(ResultsQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!File.Exists(Path) && !File.Exists(LegacyPath))
        {
            return [];
        }

        return Use(connection =>
        {
            using var command = connection.CreateCommand();
            var where = new List<string>();
            if (query.Device is { } device)
            {
                where.Add("device = $device");
                command.Parameters.AddWithValue("$device", device);
            }

            if (query.Model is { } model)
            {
                // A store name, a file name, a full path or a hash prefix of 8+ hex digits.
                var clauses = new List<string> { "model_name = $model", "model_file = $model", "model_file LIKE $suffix ESCAPE '\\'" };
                command.Parameters.AddWithValue("$model", model);
                command.Parameters.AddWithValue("$suffix", "%/" + model.Replace("\\", "\\\\", StringComparison.Ordinal)
                    .Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal));
                if (model.Length >= 8 && model.All(char.IsAsciiHexDigit))
                {
                    clauses.Add("model_sha256 LIKE $hash");
                    command.Parameters.AddWithValue("$hash", model.ToLowerInvariant() + "%");
                }

                where.Add("(" + string.Join(" OR ", clauses) + ")");
            }

            if (query.ModelSha256 is { } sha)
            {
                where.Add("model_sha256 = $sha");
                command.Parameters.AddWithValue("$sha", sha);
            }

            if (query.Since is { } since)
            {
                where.Add("time_utc >= $since");
                command.Parameters.AddWithValue("$since", TimeText(since));
            }

            if (query.Ids is { Count: > 0 } idList)
            {
                where.Add($"id IN ({string.Join(',', idList.Select(i => i.ToString(CultureInfo.InvariantCulture)))})");
            }

            var filter = where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where);
            command.CommandText = query.Last is { } last
                ? $"SELECT id, record_json FROM (SELECT id, record_json FROM runs{filter} ORDER BY id DESC LIMIT {Math.Max(0, last)}) ORDER BY id"
                : $"SELECT id, record_json FROM runs{filter} ORDER BY id";
            var runs = new List<StoredRun>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var record = JsonSerializer.Deserialize(reader.GetString(1), FleetJsonContext.Default.BenchRecord)
                    ?? throw new FleetException($"results database {Path}: run {reader.GetInt64(0)} holds no record");
                runs.Add(new StoredRun(reader.GetInt64(0), record));
            }

            return runs;
        });
    }

    /// <summary>One run by id, or a usage error naming the ids there are.</summary>
    public StoredRun Get(long id) =>
        Query(new ResultsQuery { Ids = [id] }) is [var run] ? run : throw new FleetException($"results database {Path} has no run {id} (see `edgec results` for the ids)");

    private T Use<T>(Func<SqliteConnection, T> work)
    {
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
            {
                DataSource = Path,
                Mode = SqliteOpenMode.ReadWriteCreate,
                Pooling = false,
                DefaultTimeout = 30,
            }.ToString());
            connection.Open();
            if (!_ready)
            {
                Prepare(connection);
                _ready = true;
            }

            return work(connection);
        }
        catch (SqliteException ex)
        {
            throw new FleetException($"results database {Path}: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FleetException($"results database {Path} cannot be used: {ex.Message}", ex);
        }
    }

    private void Prepare(SqliteConnection connection)
    {
        Execute(connection, null, "PRAGMA busy_timeout = 30000");
        Execute(connection, null, "PRAGMA journal_mode = WAL");
        var version = Convert.ToInt32(Scalar(connection, "PRAGMA user_version"), CultureInfo.InvariantCulture);
        if (version > SchemaVersion)
        {
            throw new FleetException($"results database {Path} has schema version {version}; this edgec reads up to {SchemaVersion} (a newer edgec wrote it)");
        }

        using (var transaction = connection.BeginTransaction())
        {
            Execute(connection, transaction, $"""
                CREATE TABLE IF NOT EXISTS runs (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  time_utc TEXT NOT NULL, device TEXT NOT NULL, device_url TEXT, profile TEXT, hostname TEXT, architecture TEXT,
                  cpu_model TEXT, edged_version TEXT, onnxruntime_version TEXT,
                  model_file TEXT NOT NULL, model_name TEXT NOT NULL, model_version INTEGER, model_sha256 TEXT NOT NULL, model_bytes INTEGER,
                  threads INTEGER, warmup INTEGER, iterations INTEGER, duration_s REAL, power_requested INTEGER, job_id TEXT,
                  count INTEGER, init_ms REAL, first_ms REAL, min_ms REAL, mean_ms REAL, std_ms REAL, p50_ms REAL, p90_ms REAL,
                  p95_ms REAL, p99_ms REAL, p999_ms REAL, max_ms REAL, percentiles_ms TEXT, throughput_per_s REAL,
                  peak_rss_bytes INTEGER, rss_delta_bytes INTEGER, cpu_utilization REAL,
                  power_available INTEGER, power_sensor TEXT, power_scope TEXT, power_mean_w REAL, energy_per_inference_mj REAL,
                  temperature_before_c REAL, temperature_after_c REAL, throttling TEXT,
                  record_json TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS runs_model ON runs (model_sha256, time_utc);
                CREATE INDEX IF NOT EXISTS runs_device ON runs (device, time_utc);
                CREATE TABLE IF NOT EXISTS imports (sha256 TEXT PRIMARY KEY, path TEXT NOT NULL, time_utc TEXT NOT NULL, records INTEGER NOT NULL, skipped INTEGER NOT NULL);
                PRAGMA user_version = {SchemaVersion};
                """);
            transaction.Commit();
        }

        ImportLegacy(connection);
    }

    /// <summary>
    /// Imports the JSON-lines file once: the import and a row naming the file's hash commit together, so a crash before
    /// the rename never imports it twice; then the file is renamed to *.imported (kept for the user, never read again).
    /// </summary>
    private void ImportLegacy(SqliteConnection connection)
    {
        if (!File.Exists(LegacyPath))
        {
            return;
        }

        var bytes = File.ReadAllBytes(LegacyPath);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var records = new List<BenchRecord>();
        var skipped = 0;
        foreach (var line in System.Text.Encoding.UTF8.GetString(bytes).Split('\n'))
        {
            if (line.Trim().Length == 0)
            {
                continue;
            }

            try
            {
                if (JsonSerializer.Deserialize(line, FleetJsonContext.Default.BenchRecord) is { } record)
                {
                    records.Add(record);
                }
                else
                {
                    skipped++;
                }
            }
            catch (JsonException)
            {
                skipped++;
            }
        }

        using (var transaction = connection.BeginTransaction())
        {
            using var seen = connection.CreateCommand();
            seen.Transaction = transaction;
            seen.CommandText = "SELECT COUNT(*) FROM imports WHERE sha256 = $sha";
            seen.Parameters.AddWithValue("$sha", sha);
            if (Convert.ToInt64(seen.ExecuteScalar(), CultureInfo.InvariantCulture) == 0)
            {
                Insert(connection, transaction, records);
                using var mark = connection.CreateCommand();
                mark.Transaction = transaction;
                mark.CommandText = "INSERT INTO imports (sha256, path, time_utc, records, skipped) VALUES ($sha, $path, $time, $records, $skipped)";
                mark.Parameters.AddWithValue("$sha", sha);
                mark.Parameters.AddWithValue("$path", LegacyPath);
                mark.Parameters.AddWithValue("$time", TimeText(DateTimeOffset.UtcNow));
                mark.Parameters.AddWithValue("$records", records.Count);
                mark.Parameters.AddWithValue("$skipped", skipped);
                mark.ExecuteNonQuery();
                Imported = new LegacyImport(LegacyPath, records.Count, skipped);
            }

            transaction.Commit();
        }

        var kept = LegacyPath + ".imported";
        for (var n = 2; File.Exists(kept); n++)
        {
            kept = $"{LegacyPath}.imported.{n}";
        }

        File.Move(LegacyPath, kept);
        if (Imported is { } imported)
        {
            Imported = imported with { KeptAs = kept };
        }
    }

    private static List<long> Insert(SqliteConnection connection, SqliteTransaction transaction, List<BenchRecord> records)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"INSERT INTO runs ({string.Join(", ", Columns)}) VALUES ({string.Join(", ", Columns.Select(c => "$" + c))}); SELECT last_insert_rowid();";
        var ids = new List<long>(records.Count);
        foreach (var record in records)
        {
            command.Parameters.Clear();
            foreach (var (column, value) in Row(record))
            {
                command.Parameters.AddWithValue("$" + column, value ?? DBNull.Value);
            }

            ids.Add(Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture));
        }

        return ids;
    }

    private static IEnumerable<(string Column, object? Value)> Row(BenchRecord r)
    {
        var x = r.Result ?? new EdgeCompress.Protocol.BenchmarkResult();
        yield return ("time_utc", TimeText(r.TimeUtc));
        yield return ("device", r.Device);
        yield return ("device_url", r.DeviceUrl);
        yield return ("profile", r.Profile);
        yield return ("hostname", r.Hostname);
        yield return ("architecture", r.Architecture);
        yield return ("cpu_model", r.CpuModel);
        yield return ("edged_version", r.EdgedVersion);
        yield return ("onnxruntime_version", x.OnnxRuntimeVersion);
        yield return ("model_file", r.ModelFile);
        yield return ("model_name", r.ModelName);
        yield return ("model_version", r.ModelVersion);
        yield return ("model_sha256", r.ModelSha256);
        yield return ("model_bytes", r.ModelBytes);
        yield return ("threads", r.Threads);
        yield return ("warmup", r.Warmup);
        yield return ("iterations", r.Iterations);
        yield return ("duration_s", r.DurationSeconds);
        yield return ("power_requested", r.Power ? 1 : 0);
        yield return ("job_id", r.JobId);
        yield return ("count", x.Count);
        yield return ("init_ms", x.InitMs);
        yield return ("first_ms", x.FirstInferenceMs);
        yield return ("min_ms", x.MinMs);
        yield return ("mean_ms", x.MeanMs);
        yield return ("std_ms", x.StdMs);
        yield return ("p50_ms", x.P50Ms);
        yield return ("p90_ms", x.P90Ms);
        yield return ("p95_ms", x.P95Ms);
        yield return ("p99_ms", x.P99Ms);
        yield return ("p999_ms", x.P999Ms);
        yield return ("max_ms", x.MaxMs);
        yield return ("percentiles_ms", x.PercentilesMs.Count == 0 ? null : "[" + string.Join(',', x.PercentilesMs.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]");
        yield return ("throughput_per_s", x.ThroughputPerSecond);
        yield return ("peak_rss_bytes", x.PeakRssBytes);
        yield return ("rss_delta_bytes", x.RssDeltaBytes);
        yield return ("cpu_utilization", x.CpuUtilization);
        yield return ("power_available", x.Power.Available ? 1 : 0);
        yield return ("power_sensor", x.Power.SensorName);
        yield return ("power_scope", x.Power.Measures);
        yield return ("power_mean_w", x.Power.MeanWatts);
        yield return ("energy_per_inference_mj", x.Power.EnergyPerInferenceMillijoules);
        yield return ("temperature_before_c", x.Thermal.TemperatureBeforeCelsius);
        yield return ("temperature_after_c", x.Thermal.TemperatureAfterCelsius);
        yield return ("throttling", x.Thermal.ThrottlingFlagsAfter.Count == 0 ? null : string.Join("; ", x.Thermal.ThrottlingFlagsAfter));
        yield return ("record_json", JsonSerializer.Serialize(r, FleetJsonContext.Default.BenchRecord));
    }

    private static string TimeText(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
