using System.Globalization;
using EdgeCompress.Fleet;
using EdgeCompress.Runtime;

namespace EdgeCompress.Cli.Commands;

/// <summary>The result table of `edgec bench`: one row per device, latency percentiles in milliseconds; session creation
/// and the first inference apart from the steady-state figures (as onnxruntime_perf_test users asked).</summary>
internal static class BenchTable
{
    public static void Write(FleetConsole output, IReadOnlyList<FleetOutcome<BenchRecord>> outcomes)
    {
        if (outcomes.Count > FleetConsole.CondenseAbove)
        {
            WriteFleet(output, outcomes);
            return;
        }

        var table = FleetConsole.Table("device", "profile", "model", "n", "p50 ms", "p90 ms", "p99 ms", "mean ms", "min ms", "inf/s", "session ms", "first ms", "peak RSS", "power W", "mJ/inf", "status");
        foreach (var o in outcomes)
        {
            if (o.Value is not { } r)
            {
                FleetConsole.Row(table, o.Device.Name, null, null, null, null, null, null, null, null, null, null, null, null, null, null, "FAILED");
                continue;
            }

            var x = r.Result;
            FleetConsole.Row(table, r.Device, r.Profile, $"{r.ModelName}{(r.ModelVersion is { } v ? $" v{v}" : "")}",
                x.Count.ToString(CultureInfo.InvariantCulture), FleetConsole.Ms(x.P50Ms), FleetConsole.Ms(x.P90Ms), FleetConsole.Ms(x.P99Ms),
                FleetConsole.Ms(x.MeanMs), FleetConsole.Ms(x.MinMs), x.ThroughputPerSecond.ToString("F1", CultureInfo.InvariantCulture),
                FleetConsole.Ms(x.InitMs), FleetConsole.Ms(x.FirstInferenceMs), x.PeakRssBytes is { } rss ? FleetConsole.Bytes(rss) : null,
                x.Power.MeanWatts?.ToString("F2", CultureInfo.InvariantCulture) ?? (r.Power ? "n/a" : null),
                x.Power.EnergyPerInferenceMillijoules?.ToString("F3", CultureInfo.InvariantCulture), "ok");
        }

        output.Tables().Write(table);
        foreach (var o in outcomes.Where(o => o.Value is { Power: true, Result.Power.Available: false }))
        {
            output.Note($"{o.Device.Name}: no power figures: {o.Value!.Result.Power.Unavailable}");
        }
    }

    /// <summary>
    /// The one-screen form for a large fleet: per profile, how many boards answered and the spread of their figures
    /// (the fastest, median and slowest board), naming the slowest; every row is in the results database.
    /// </summary>
    private static void WriteFleet(FleetConsole output, IReadOnlyList<FleetOutcome<BenchRecord>> outcomes)
    {
        var table = FleetConsole.Table("profile", "boards", "p50 ms fastest", "p50 ms median", "p50 ms slowest", "slowest board", "p99 ms median", "peak RSS median", "mJ/inf median");
        // A failed board never said its profile: failures are one row of their own, named above as they happened.
        foreach (var group in outcomes.GroupBy(o => o.Value is null ? "FAILED" : o.Value.Profile ?? "-").OrderBy(g => g.Key == "FAILED").ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            var ok = group.Where(o => o.Value is not null).Select(o => o.Value!).OrderBy(r => r.Result.P50Ms).ToList();
            FleetConsole.Row(table, group.Key, group.Count().ToString(CultureInfo.InvariantCulture),
                ok.Count > 0 ? FleetConsole.Ms(ok[0].Result.P50Ms) : null, ok.Count > 0 ? FleetConsole.Ms(Median(ok.Select(r => r.Result.P50Ms))) : null,
                ok.Count > 0 ? FleetConsole.Ms(ok[^1].Result.P50Ms) : null, ok.Count > 0 ? ok[^1].Device : null,
                ok.Count > 0 ? FleetConsole.Ms(Median(ok.Select(r => r.Result.P99Ms))) : null,
                ok.Any(r => r.Result.PeakRssBytes is not null) ? FleetConsole.Bytes((long)Median(ok.Where(r => r.Result.PeakRssBytes is not null).Select(r => (double)r.Result.PeakRssBytes!.Value))) : null,
                ok.Any(r => r.Result.Power.EnergyPerInferenceMillijoules is not null)
                    ? Median(ok.Where(r => r.Result.Power.EnergyPerInferenceMillijoules is not null).Select(r => r.Result.Power.EnergyPerInferenceMillijoules!.Value)).ToString("F3", CultureInfo.InvariantCulture)
                    : null);
        }

        output.Tables().Write(table);
        output.Note($"per-board rows: edgec results --last {outcomes.Count} (or bench --json)");
    }

    private static double Median(IEnumerable<double> values) => EdgeCompress.Protocol.Percentiles.Quantile([.. values.Order()], 0.5);
}
