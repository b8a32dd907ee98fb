using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using EdgeCompress.Cli.Demo;
using EdgeCompress.Manifest;
using EdgeCompress.Compression.Search;
using EdgeCompress.Data;
using EdgeCompress.Fleet;
using EdgeCompress.Profiles;
using EdgeCompress.Reporting;

namespace EdgeCompress.Cli.Commands;

/// <summary>
/// `edgec demo`: the whole job on built-in defaults. Baseline (shipped, cached or trained), optimize for the x64-host
/// profile, a local edged on 127.0.0.1, every variant pushed and benchmarked through its API, then
/// demo-out/report.html and a table. The daemon is stopped on every path, Ctrl-C included.
/// </summary>
internal static class DemoCommand
{
    public static Command Create(CliContext ctx)
    {
        var output = new Option<string>("--out") { Description = "output folder", DefaultValueFactory = _ => "demo-out" };
        var budget = new Option<string>("--time-budget") { Description = "time for the optimize search", DefaultValueFactory = _ => "8m" };
        var data = new Option<string>("--data") { Description = "held-out data for accuracy", DefaultValueFactory = _ => "fashion-mnist:test" };
        var iterations = new Option<int>("--iterations") { Description = "benchmark iterations per variant on the daemon", DefaultValueFactory = _ => 300 };
        var fineTune = new Option<string>("--finetune") { Description = "data SPEC the pruned/factorized candidates are fine-tuned on, or none", DefaultValueFactory = _ => "fashion-mnist:train" };
        var fineTuneEpochs = new Option<int>("--finetune-epochs") { Description = "fine-tuning passes per candidate", DefaultValueFactory = _ => 2 };
        var maxDrop = new Option<double>("--max-drop") { Description = "accuracy budget in points (the demo's own: 2 fine-tuning epochs recover less than the profile's 0.5 asks)", DefaultValueFactory = _ => 1.0 };
        var command = new Command("demo", "Run the whole job on built-in defaults: baseline, optimize, local edged, push, bench, report.");
        command.Options.Add(output);
        command.Options.Add(budget);
        command.Options.Add(data);
        command.Options.Add(iterations);
        command.Options.Add(fineTune);
        command.Options.Add(fineTuneEpochs);
        command.Options.Add(maxDrop);
        command.SetAction(EdgecApp.Guarded(ctx, async (parse, ct) =>
        {
            var clock = Stopwatch.StartNew();
            void Stage(string text) => ctx.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed:mm\\:ss}] {text}"));
            var outDir = Path.GetFullPath(parse.GetValue(output)!);
            Directory.CreateDirectory(outDir);
            var profile = ctx.Env.Profiles.Load("x64-host");
            var dataSpec = DataSpec.Parse(parse.GetValue(data)!);
            var fineTuneSpec = FineTuneFlags.LabelledData(parse.GetValue(fineTune));
            if (parse.GetValue(fineTuneEpochs) is < 1 or > 100 || parse.GetValue(maxDrop) is < 0 or > 100)
            {
                throw new UsageException("--finetune-epochs must be 1 to 100 and --max-drop 0 to 100 points");
            }
            if (fineTuneSpec is not null && !TrainingAvailable(ctx))
            {
                fineTuneSpec = null;
            }
            var training = fineTuneSpec is null ? null : new TrainingFineTuner(new Training.FineTuneOptions { Epochs = parse.GetValue(fineTuneEpochs) });

            Stage("1/4 baseline");
            var baseline = DemoBaseline.Find()
                ?? throw new UsageException("no Fashion-MNIST baseline found (fmnist-baseline.onnx beside edgec, $EDGEC_DEMO_MODEL or the cache)");
            Stage($"    using {baseline}");

            Stage("2/4 start edged on 127.0.0.1");
            var optimizeDir = Path.Combine(outDir, "optimize");
            var options = new OptimizeOptions
            {
                ModelPath = baseline,
                OutputDirectory = optimizeDir,
                Profile = profile,
                DataSpec = dataSpec.Text,
                CalibrationSpec = "fashion-mnist:train@512",
                FineTuneSpec = fineTuneSpec,
                MaxAccuracyDropPoints = parse.GetValue(maxDrop),
                TimeBudget = Durations.Parse(parse.GetValue(budget)!),
                Tool = $"edgec {typeof(DemoCommand).Assembly.GetName().Version}",
            };
            OptimizeOutcome outcome;
            await using (var daemon = await LocalDaemon.StartAsync(profile.Id, TimeSpan.FromSeconds(30), ct).ConfigureAwait(false))
            {
                Stage($"    edged at {daemon.Url}");
                Stage($"3/4 optimize for {profile.Id} (time budget {parse.GetValue(budget)}, accuracy budget {parse.GetValue(maxDrop).ToString(CultureInfo.InvariantCulture)} points, "
                    + (fineTuneSpec is null ? "no fine-tuning" : $"candidates fine-tuned {parse.GetValue(fineTuneEpochs)} epoch(s) on {fineTuneSpec}")
                    + "); every candidate pushed to edged and benchmarked through its API");
                // The search measures latency and energy where the report says it does, on the daemon (optimize
                // --device's measurer), and accuracy here; so its choice, chosen.onnx and the manifest are one decision.
                var device = new DeviceEntry { Name = $"edged@{new Uri(daemon.Url).Authority}", Url = daemon.Url, TokenFile = daemon.TokenFile };
                var settings = new BenchSettings { Threads = profile.Runtime.IntraOpThreads, Warmup = 20, Iterations = parse.GetValue(iterations), Power = true };
                var measurer = new DeviceMeasurer(new LocalMeasurer(dataSpec, profile.Runtime.IntraOpThreads, iterations: 0), device, settings,
                    TimeSpan.FromSeconds(30), new ResultsDatabase(Path.Combine(outDir, "bench-results.db")));
                outcome = await new OptimizeRunner(DefaultPasses.Registry(training, training), measurer)
                    .RunAsync(options, new LineProgress(ctx.Error), ct).ConfigureAwait(false);
            }
            Stage("    edged stopped");
            var manifest = ManifestFile.Load(outcome.ManifestPath);
            if (manifest.Variants.Count == 0)
            {
                throw new EdgeCompress.Compression.Passes.WorkFailedException($"optimize kept no variant, not even the baseline; see {outcome.ManifestPath}");
            }
            Stage("4/4 report");
            var reportPath = Path.Combine(outDir, "report.html");
            HtmlReport.Write(manifest, reportPath);
            PrintTable(ctx, manifest);
            foreach (var f in manifest.Skipped)
            {
                ctx.Out.WriteLine($"  not kept: {f.Id}: {f.Reason}");
            }
            ctx.Out.WriteLine($"report: {reportPath}");
            Stage("done");
            return manifest.Chosen is null ? EdgecApp.ExitCheckFailed : EdgecApp.ExitOk;
        }));
        return command;
    }

    /// <summary>The demo still runs without the training worker (its candidates are then not fine-tuned), and says so.</summary>
    private static bool TrainingAvailable(CliContext ctx)
    {
        try
        {
            Training.WorkerLocator.Locate();
            return true;
        }
        catch (Training.TrainingException e)
        {
            ctx.Warn($"{e.Message}; the demo goes on without fine-tuning");
            return false;
        }
    }

    private static void PrintTable(CliContext ctx, OptimizeManifest m)
    {
        var baseline = m.Variants.First(v => v.Id == m.Baseline);
        // The first column fits the longest id ("prune-0.5-tail0.125+int8" is 24 characters), so the figures line up.
        var width = Math.Max("variant".Length, m.Variants.Max(v => v.Id.Length) + 2);
        ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"variant".PadRight(width)} {"accuracy",9} {"size KiB",9} {"p50 ms",8} {"speed-up",8}"));
        foreach (var v in m.Variants)
        {
            var id = ((v.Id == m.Chosen ? "* " : "  ") + v.Id).PadRight(width);
            ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{id} {(v.AccuracyPercent is { } a ? $"{a:F2}%" : "-"),9} {v.SizeBytes / 1024.0,9:F1} {v.Latency?.P50Ms ?? double.NaN,8:F3} {v.SpeedupOver(baseline),7:F2}x"));
        }
        ctx.Out.WriteLine(m.Chosen is null ? $"no variant met the budget: {m.ChosenReason}" : $"chosen: {m.Chosen}: {m.ChosenReason}");
    }
}
