using System.Globalization;
using EdgeCompress.Fleet;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace EdgeCompress.Cli.Commands;

/// <summary>
/// Output for the fleet verbs: Spectre tables on stdout (plain when NO_COLOR is set or not a terminal) and throttled
/// per-device progress lines on stderr, so a run over many boards stays readable and logs well.
/// </summary>
internal sealed class FleetConsole : IProgress<DeviceProgress>
{
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(1);
    private readonly CliContext _ctx;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (string Phase, DateTime At)> _last = new(StringComparer.Ordinal);

    public FleetConsole(CliContext ctx) => _ctx = ctx;

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

    public static string Describe(DeviceProgress p) => p switch
    {
        { Phase: "uploading", Total: > 0 } => $"uploading {100.0 * p.Done / p.Total.Value:0}% ({Bytes(p.Done)} of {Bytes(p.Total.Value)})",
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
}
