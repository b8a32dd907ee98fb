using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeCompress.Fleet;

namespace EdgeCompress.Cli.Commands;

/// <summary>
/// `edgec results [--model M] [--device D] [--since 7d] [--last N] [--compare A B] [--export csv|json] [--out F]`:
/// the runs in the local results database (SQLite), filtered; two runs compared metric by metric with each change's
/// size and noise band, exit 1 when one regressed; or the selection exported.
/// </summary>
internal static class ResultsCommand
{
    public static Command Create(CliContext ctx)
    {
        var model = new Option<string?>("--model") { Description = "a model file (matched by its SHA-256), a store name, a file name or a SHA-256 prefix" };
        var device = new Option<string?>("--device") { Description = "only this device ('local' for in-process runs)" };
        var since = new Option<string?>("--since") { HelpName = "AGE|DATE", Description = "only runs this recent: 30m, 12h, 7d, 2w, or a date (2026-12-01)" };
        var last = new Option<int?>("--last") { HelpName = "N", Description = "only the newest N runs of the selection (listing default 20; exports default all)" };
        var compare = new Option<long[]>("--compare") { Description = "compare two runs by id: change, noise band and verdict per metric", HelpName = "A B", Arity = new ArgumentArity(2, 2), AllowMultipleArgumentsPerToken = true };
        var tolerance = new Option<double>("--tolerance") { HelpName = "PERCENT", Description = "percent change below which --compare never calls a regression", DefaultValueFactory = _ => RunComparison.DefaultTolerancePercent };
        var export = new Option<string?>("--export") { Description = "export the selection: csv or json" };
        var outFile = new Option<string?>("--out") { Description = "file for --export (default: stdout)" };
        var json = new Option<bool>("--json") { Description = "print the listing or the comparison as JSON" };
        var database = new Option<string?>("--database") { Description = "the results database (default: the data folder's bench-results.db)" };
        var command = new Command("results", "List, compare and export benchmark runs stored in the local results database (SQLite).");
        foreach (var option in new Option[] { model, device, since, last, compare, tolerance, export, outFile, json, database })
        {
            command.Options.Add(option);
        }

        command.SetAction(EdgecApp.Guarded(ctx, (parse, _) =>
        {
            var db = new ResultsDatabase(parse.GetValue(database) ?? ctx.Env.Paths.ResultsFile);
            if (parse.GetValue(compare) is { Length: 2 } ids)
            {
                return Task.FromResult(Compare(ctx, db, ids[0], ids[1], parse.GetValue(tolerance), parse.GetValue(json)));
            }

            var query = new ResultsQuery
            {
                Model = parse.GetValue(model) is { } m ? ModelKey(m) : null,
                Device = parse.GetValue(device),
                Since = parse.GetValue(since) is { } s ? ParseSince(s, DateTimeOffset.UtcNow) : null,
                Last = parse.GetValue(last) is { } n ? (n > 0 ? n : throw new UsageException($"--last must be at least 1, got {n}")) : null,
            };
            if (parse.GetValue(export) is { } format)
            {
                return Task.FromResult(Export(ctx, db, query, format, parse.GetValue(outFile)));
            }

            return Task.FromResult(List(ctx, db, query.Last is null ? query with { Last = 20 } : query, parse.GetValue(json)));
        }));
        return command;
    }

    /// <summary>`bench --export` (kept for scripts written before `results`): the whole database.</summary>
    public static int ExportAll(CliContext ctx, string format, string? outPath) => Export(ctx, new ResultsDatabase(ctx.Env.Paths.ResultsFile), new ResultsQuery(), format, outPath);

    /// <summary>Parses --since: a duration back from <paramref name="now"/> (30m, 12h, 7d, 2w) or an ISO date/time.</summary>
    public static DateTimeOffset ParseSince(string text, DateTimeOffset now)
    {
        var unit = text.Length > 1 ? text[^1] : ' ';
        if ("mhdw".Contains(unit, StringComparison.Ordinal)
            && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount >= 0)
        {
            return now - unit switch
            {
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => TimeSpan.FromDays(7 * amount),
            };
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return time;
        }

        throw new UsageException($"--since must be a duration (30m, 12h, 7d, 2w) or a date (2026-12-01), got '{text}'");
    }

    private static string ModelKey(string given) =>
        File.Exists(given) ? FleetTargets.Guard(() => ModelFile.Open(given)).Sha256 : given;

    private static int List(CliContext ctx, ResultsDatabase db, ResultsQuery query, bool json)
    {
        var runs = FleetTargets.Guard(() => db.Query(query));
        NoteImport(ctx, db);
        if (json)
        {
            ResultsExport.WriteJson(runs, ctx.Out);
            return EdgecApp.ExitOk;
        }

        if (runs.Count == 0)
        {
            ctx.Error.WriteLine($"no runs match in {db.Path}");
            return EdgecApp.ExitOk;
        }

        var output = new FleetConsole(ctx);
        var table = FleetConsole.Table("id", "time (UTC)", "device", "profile", "model", "sha256", "thr", "n", "p50 ms", "p90 ms", "p99 ms", "peak RSS", "mJ/inf", "°C after", "ORT");
        foreach (var (id, r) in runs)
        {
            var x = r.Result;
            FleetConsole.Row(table, id.ToString(CultureInfo.InvariantCulture), r.TimeUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
                r.Device, r.Profile, $"{r.ModelName}{(r.ModelVersion is { } v ? $" v{v}" : "")}", Short(r.ModelSha256),
                r.Threads.ToString(CultureInfo.InvariantCulture), x.Count.ToString(CultureInfo.InvariantCulture), FleetConsole.Ms(x.P50Ms),
                FleetConsole.Ms(x.P90Ms), FleetConsole.Ms(x.P99Ms), x.PeakRssBytes is { } rss ? FleetConsole.Bytes(rss) : null,
                x.Power.EnergyPerInferenceMillijoules?.ToString("F3", CultureInfo.InvariantCulture),
                x.Thermal.TemperatureAfterCelsius?.ToString("F1", CultureInfo.InvariantCulture), x.OnnxRuntimeVersion);
        }

        output.Tables().Write(table);
        ctx.Error.WriteLine($"{runs.Count} run(s) from {db.Path}{(query.Last is { } n && runs.Count == n ? $" (the newest {n}; --last N for more)" : "")}");
        return EdgecApp.ExitOk;
    }

    private static int Compare(CliContext ctx, ResultsDatabase db, long idA, long idB, double tolerance, bool json)
    {
        if (tolerance is < 0 or > 1000 || double.IsNaN(tolerance))
        {
            throw new UsageException($"--tolerance must be a percentage between 0 and 1000, got {tolerance.ToString(CultureInfo.InvariantCulture)}");
        }

        var a = FleetTargets.Guard(() => db.Get(idA));
        var b = FleetTargets.Guard(() => db.Get(idB));
        NoteImport(ctx, db);
        var changes = RunComparison.Compare(a.Record, b.Record, tolerance);
        var regressed = RunComparison.AnyRegression(changes);
        if (json)
        {
            ctx.Out.WriteLine(JsonSerializer.Serialize(new RunComparisonReport
            {
                Before = a.Id,
                After = b.Id,
                TolerancePercent = tolerance,
                Regression = regressed,
                Changes = [.. changes.Select(c => new MetricChangeReport
                {
                    Metric = c.Metric, Before = c.Before, After = c.After, Delta = c.Delta, DeltaPercent = c.DeltaPercent,
                    NoiseBand = c.NoiseBand, Verdict = VerdictText(c.Verdict),
                })],
            }, ResultsJsonContext.Default.RunComparisonReport));
            return regressed ? EdgecApp.ExitCheckFailed : EdgecApp.ExitOk;
        }

        ctx.Out.WriteLine($"A = run {a.Id}: {Describe(a.Record)}");
        ctx.Out.WriteLine($"B = run {b.Id}: {Describe(b.Record)}");
        foreach (var difference in Differences(a.Record, b.Record))
        {
            ctx.Out.WriteLine($"note: {difference}");
        }

        var table = FleetConsole.Table("metric", "A", "B", "change", "noise band (95%)", "verdict");
        foreach (var c in changes)
        {
            FleetConsole.Row(table, c.Metric, Number(c.Before), Number(c.After),
                c.Delta is { } d ? string.Create(CultureInfo.InvariantCulture, $"{(d >= 0 ? "+" : "")}{Number(d)} ({c.DeltaPercent:+0.0;-0.0;0.0}%)") : null,
                c.NoiseBand is { } band ? "±" + Number(band) : "none (tolerance only)", VerdictText(c.Verdict));
        }

        new FleetConsole(ctx).Tables().Write(table);
        ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{(regressed ? "REGRESSION" : "no regression")}: a change is called only beyond both its noise band (each run's own spread; drift between runs is not in it) and {tolerance:0.#}%"));
        return regressed ? EdgecApp.ExitCheckFailed : EdgecApp.ExitOk;
    }

    private static string Describe(BenchRecord r) => string.Create(CultureInfo.InvariantCulture,
        $"{r.TimeUtc.UtcDateTime:yyyy-MM-dd HH:mm} UTC, {r.Device}{(r.Profile is { } p ? $" ({p})" : "")}, {r.ModelName} {Short(r.ModelSha256)}, {r.Threads} thread(s), {r.Result.Count} runs, ORT {r.Result.OnnxRuntimeVersion}");

    /// <summary>What differs between the runs besides the measurements: a user should know they compare unlike runs.</summary>
    private static IEnumerable<string> Differences(BenchRecord a, BenchRecord b)
    {
        if (a.ModelSha256 != b.ModelSha256)
        {
            yield return $"different models ({Short(a.ModelSha256)} vs {Short(b.ModelSha256)})";
        }

        if (a.Device != b.Device)
        {
            yield return $"different devices ({a.Device} vs {b.Device})";
        }

        if (a.Threads != b.Threads)
        {
            yield return $"different thread counts ({a.Threads} vs {b.Threads})";
        }

        if (a.Result.OnnxRuntimeVersion != b.Result.OnnxRuntimeVersion)
        {
            yield return $"different ONNX Runtime versions ({a.Result.OnnxRuntimeVersion} vs {b.Result.OnnxRuntimeVersion})";
        }
    }

    private static string Short(string sha) => sha.Length >= 8 ? sha[..8] : sha;

    /// <summary>Four significant digits without exponents: 0.005123, 12.50, 97461.</summary>
    private static string? Number(double? value) => value switch
    {
        null => null,
        0 => "0",
        { } v => v.ToString("F" + Math.Clamp(3 - (int)Math.Floor(Math.Log10(Math.Abs(v))), 0, 6), CultureInfo.InvariantCulture),
    };

    private static string VerdictText(ChangeVerdict verdict) => verdict switch
    {
        ChangeVerdict.Regression => "REGRESSION",
        ChangeVerdict.Improvement => "improvement",
        ChangeVerdict.NotComparable => "n/a",
        _ => "within noise",
    };

    private static int Export(CliContext ctx, ResultsDatabase db, ResultsQuery query, string format, string? outPath)
    {
        if (format is not ("csv" or "json"))
        {
            throw new UsageException($"--export must be csv or json, got '{format}'");
        }

        var runs = FleetTargets.Guard(() => db.Query(query));
        NoteImport(ctx, db);
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        if (format == "csv")
        {
            ResultsExport.WriteCsv(runs, text);
        }
        else
        {
            ResultsExport.WriteJson(runs, text);
        }

        if (outPath is null)
        {
            ctx.Out.Write(text.ToString());
        }
        else
        {
            FleetTargets.Guard(() =>
            {
                FleetPaths.WriteAtomically(Path.GetFullPath(outPath), text.ToString());
                return 0;
            });
            ctx.Error.WriteLine($"exported {runs.Count} result(s) from {db.Path} to {outPath}");
        }

        return EdgecApp.ExitOk;
    }

    private static void NoteImport(CliContext ctx, ResultsDatabase db)
    {
        if (db.Imported is { } imported)
        {
            ctx.Error.WriteLine($"imported {imported.Records} run(s) from {imported.Path} into {db.Path}"
                + (imported.Skipped > 0 ? $" ({imported.Skipped} unreadable line(s) skipped)" : "") + $"; the old file is kept as {imported.KeptAs}");
        }
    }
}

/// <summary>`edgec results --compare A B --json`.</summary>
internal sealed class RunComparisonReport
{
    public long Before { get; set; }

    public long After { get; set; }

    public double TolerancePercent { get; set; }

    public bool Regression { get; set; }

    public List<MetricChangeReport> Changes { get; set; } = [];
}

/// <summary>One metric of <see cref="RunComparisonReport"/>.</summary>
internal sealed class MetricChangeReport
{
    public string Metric { get; set; } = "";

    public double? Before { get; set; }

    public double? After { get; set; }

    public double? Delta { get; set; }

    public double? DeltaPercent { get; set; }

    public double? NoiseBand { get; set; }

    public string Verdict { get; set; } = "";
}

/// <summary>Source-generated JSON for `edgec results` (no reflection, trim-safe).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RunComparisonReport))]
internal sealed partial class ResultsJsonContext : JsonSerializerContext;
