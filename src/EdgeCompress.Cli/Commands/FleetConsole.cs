using System.Globalization;
using EdgeCompress.Fleet;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace EdgeCompress.Cli.Commands;

/// <summary>
/// Output for the fleet verbs: Spectre tables on stdout (plain when NO_COLOR is set or not a terminal) and throttled
/// per-device progress lines on stderr, so a run over many boards stays readable and logs well. Over more than
/// <see cref="CondenseAbove"/> devices, progress is one fleet line every few seconds (how many boards are in each
/// phase) instead of lines per board, and failures are still named one per line.
/// </summary>
internal sealed class FleetConsole : IProgress<DeviceProgress>
{
    /// <summary>Above this many devices, progress and result tables are condensed to fit one screen.</summary>
    public const int CondenseAbove = 12;

    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan FleetProgressEvery = TimeSpan.FromSeconds(3);
    private static readonly string[] PhaseOrder = ["uploading", "inputs", "queued", "idle-power", "init", "outputs", "warmup", "measure", "done"];
    private readonly CliContext _ctx;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (string Phase, DateTime At)> _last = new(StringComparer.Ordinal);
    private readonly int _devices;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly HashSet<string> _failed = new(StringComparer.Ordinal);
    private TimeSpan? _lastFleetLine;

    public FleetConsole(CliContext ctx, int devices = 1)
    {
        _ctx = ctx;
        _devices = devices;
    }

    /// <summary>True when progress is condensed to fleet lines.</summary>
    public bool Condensed => _devices > CondenseAbove;

    /// <summary>Counts a device as failed in the fleet line (its error is printed by the caller).</summary>
    public void Failed(string device)
    {
        lock (_gate)
        {
            _failed.Add(device);
        }
    }

    public IAnsiConsole Tables()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(_ctx.Out),
            Ansi = _ctx.Interactive && !_ctx.NoColor ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = _ctx.NoColor ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = InteractionSupport.No,
        });
        if (!_ctx.Interactive)
        {
            console.Profile.Width = 220;
        }

        return console;
    }

    public static Table Table(params string[] columns)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn(new Text(column)));
        }

        return table;
    }

    public static void Row(Table table, params string?[] cells) => table.AddRow(cells.Select(c => (IRenderable)new Text(c ?? "-")).ToArray());

    /// <summary>Writes a line to stderr (thread-safe).</summary>
    public void Note(string line)
    {
        lock (_gate)
        {
            _ctx.Error.WriteLine(line);
        }
    }

    /// <inheritdoc/>
    public void Report(DeviceProgress value)
    {
        var now = DateTime.UtcNow;
        lock (_gate)
        {
            if (Condensed)
            {
                _last[value.Device] = (value.Phase, now);
                var elapsed = _clock.Elapsed;
                if (_lastFleetLine is not { } previous || elapsed - previous >= FleetProgressEvery)
                {
                    _lastFleetLine = elapsed;
                    _ctx.Error.WriteLine(FleetLine(elapsed));
                }

                return;
            }

            var known = _last.TryGetValue(value.Device, out var last);
            var finished = value.Total is { } total && value.Done >= total;
            if (known && last.Phase == value.Phase && now - last.At < ProgressEvery && !finished)
            {
                return;
            }

            if (known && last.Phase == value.Phase && finished && last.At == DateTime.MaxValue)
            {
                return;
            }

            _last[value.Device] = (value.Phase, finished ? DateTime.MaxValue : now);
            _ctx.Error.WriteLine($"{value.Device}: {Describe(value)}");
        }
    }

    /// <summary>"fleet 12 s: 40 done, 2 failed, 30 measure, 8 uploading, 20 waiting (of 100)".</summary>
    private string FleetLine(TimeSpan elapsed)
    {
        var phases = _last.Where(kv => !_failed.Contains(kv.Key)).GroupBy(kv => kv.Value.Phase).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var parts = new List<string>();
        if (phases.TryGetValue("done", out var done))
        {
            parts.Add($"{done} done");
        }

        if (_failed.Count > 0)
        {
            parts.Add($"{_failed.Count} failed");
        }

        parts.AddRange(phases.Where(kv => kv.Key != "done").OrderBy(kv => Array.IndexOf(PhaseOrder, kv.Key)).Select(kv => $"{kv.Value} {kv.Key}"));
        var waiting = _devices - _last.Keys.Union(_failed).Count();
        if (waiting > 0)
        {
            parts.Add($"{waiting} waiting");
        }

        return string.Create(CultureInfo.InvariantCulture, $"fleet {elapsed.TotalSeconds:0} s: {string.Join(", ", parts)} (of {_devices})");
    }

    public static string Describe(DeviceProgress p) => p switch
    {
        { Phase: "uploading", Total: > 0 } => $"uploading {100.0 * p.Done / p.Total.Value:0}% ({Bytes(p.Done)} of {Bytes(p.Total.Value)})",
        { Phase: "inputs", Total: > 0 } => $"sending the input set ({Bytes(p.Total.Value)})",
        { Phase: "outputs", Total: > 0 } => $"outputs of sample {p.Done}/{p.Total}",
        { Phase: "queued" } => p.Done > 0 ? $"queued behind {p.Done} job(s)" : "queued",
        { Phase: "done" } => $"done ({p.Done} inferences measured)",
        { Total: { } total } => $"{p.Phase} {p.Done}/{total}",
        { Done: > 0 } => $"{p.Phase} {p.Done}",
        _ => p.Phase,
    };

    public static string Bytes(long b) => b switch
    {
        >= 1L << 30 => (b / (double)(1L << 30)).ToString("F2", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (b / (double)(1L << 20)).ToString("F2", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (b / 1024.0).ToString("F1", CultureInfo.InvariantCulture) + " KiB",
        _ => b.ToString(CultureInfo.InvariantCulture) + " B",
    };

    public static string Ms(double value) => value.ToString(value < 10 ? "F3" : "F2", CultureInfo.InvariantCulture);

    public static string Short(string? fingerprint) => fingerprint is null ? "-" : fingerprint.Length > 23 ? fingerprint[..23] + "…" : fingerprint;

    /// <summary>The file to upload (external data inlined into a temp copy when the model has any), saying so when it was.</summary>
    internal static ModelUpload PrepareUpload(ModelFile model, CliContext ctx)
    {
        var upload = FleetTargets.Guard(() => ModelUpload.Prepare(model));
        if (upload.InlinedExternalDataFiles is var count and > 0)
        {
            ctx.Error.WriteLine($"{Path.GetFileName(model.Path)}: {count} external data file{(count == 1 ? "" : "s")} inlined for upload ({Bytes(upload.File.Length)})");
        }

        return upload;
    }

    internal static string Summary(string verb, string model, int succeeded, int total, IReadOnlyList<string> failed) =>
        $"{verb} {model} on {succeeded} of {total} device(s)" + (failed.Count > 0 ? $"; failed: {string.Join(", ", failed)}" : "");
}
