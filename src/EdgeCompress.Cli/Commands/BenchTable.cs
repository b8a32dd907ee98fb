using System.Globalization;
using EdgeCompress.Fleet;

namespace EdgeCompress.Cli.Commands;

/// <summary>The result table of `edgec bench`: one row per device, latency percentiles in milliseconds.</summary>
internal static class BenchTable
{
    public static void Write(FleetConsole output, IReadOnlyList<FleetOutcome<BenchRecord>> outcomes)
    {
        var table = FleetConsole.Table("device", "profile", "model", "n", "p50 ms", "p90 ms", "p99 ms", "mean ms", "min ms", "inf/s", "init ms", "peak RSS", "power W", "mJ/inf", "status");
        foreach (var o in outcomes)
        {
            if (o.Value is not { } r)
            {
                FleetConsole.Row(table, o.Device.Name, null, null, null, null, null, null, null, null, null, null, null, null, null, "FAILED");
                continue;
            }

            var x = r.Result;
            FleetConsole.Row(table, r.Device, r.Profile, $"{r.ModelName}{(r.ModelVersion is { } v ? $" v{v}" : "")}",
                x.Count.ToString(CultureInfo.InvariantCulture), FleetConsole.Ms(x.P50Ms), FleetConsole.Ms(x.P90Ms), FleetConsole.Ms(x.P99Ms),
                FleetConsole.Ms(x.MeanMs), FleetConsole.Ms(x.MinMs), x.ThroughputPerSecond.ToString("F1", CultureInfo.InvariantCulture),
                FleetConsole.Ms(x.InitMs), x.PeakRssBytes is { } rss ? FleetConsole.Bytes(rss) : null,
                x.Power.MeanWatts?.ToString("F2", CultureInfo.InvariantCulture) ?? (r.Power ? "n/a" : null),
                x.Power.EnergyPerInferenceMillijoules?.ToString("F3", CultureInfo.InvariantCulture), "ok");
        }

        output.Tables().Write(table);
        foreach (var o in outcomes.Where(o => o.Value is { Power: true, Result.Power.Available: false }))
        {
            output.Note($"{o.Device.Name}: no power figures: {o.Value!.Result.Power.Unavailable}");
        }
    }
}
