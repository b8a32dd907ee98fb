using System.CommandLine;
using System.Globalization;
using EdgeCompress.Compression.Runtime;
using EdgeCompress.Compression.Search;
using EdgeCompress.Data;
using EdgeCompress.Fleet;
using EdgeCompress.Onnx;
using EdgeCompress.Profiles;

namespace EdgeCompress.Cli.Commands;

/// <summary>`edgec optimize MODEL --profile P --data SPEC --out DIR`: the per-profile search.</summary>
internal static class OptimizeCommand
{
    public static Command Create(CliContext ctx)
    {
        var model = new Argument<FileInfo>("MODEL") { Description = "ONNX model to compress" };
        var profile = new Option<string>("--profile") { Description = "device profile id (see device-profiles/) or a profile .json", Required = true };
        var data = new Option<string>("--data") { Description = "held-out data SPEC for accuracy, e.g. fashion-mnist:test", Required = true };
        var output = new Option<string>("--out") { Description = "output folder (rerun with the same folder to resume)", Required = true };
        var calibration = new Option<string?>("--calibration") { Description = "data SPEC for calibration (default: the --data SPEC)" };
        var budget = new Option<string>("--time-budget") { Description = "stop starting candidates after this long, e.g. 90s, 30m, 2h", DefaultValueFactory = _ => "30m" };
        var maxDrop = new Option<double?>("--max-drop") { Description = "accuracy budget in points (default: the profile's)" };
        var threads = new Option<int?>("--threads") { Description = "threads for local latency (default: the profile's)" };
        var fineTune = new Option<string?>("--finetune") { Description = "data SPEC to fine-tune pruned/factorized candidates on (distilled from the input model)" };
        var fineTuneFlags = new FineTuneFlags();
        var shapeFlag = new InputShapeFlag();
        var preprocessFlag = new PreprocessFlag();
        var minSqnr = new Option<double?>("--min-sqnr") { Description = "unlabelled data: dense outputs keep at least this SQNR in dB (default 20)" };
        var maxScoreDiff = new Option<double?>("--max-score-diff") { Description = "unlabelled data: scores and probabilities move by at most this much (default 0.05)" };
        var device = new Option<string?>("--device") { Description = "registered device (edgec devices add) to measure latency and energy on, through its edged" };
        var command = new Command("optimize", "Search compression settings for a device profile; keep every candidate, mark the Pareto set, choose the best balance of speed-up and size reduction within budget.");
        command.Arguments.Add(model);
        foreach (var o in new Option[] { profile, data, output, calibration, budget, maxDrop, threads, fineTune, device })
        {
            command.Options.Add(o);
        }
        fineTuneFlags.AddTo(command);
        shapeFlag.AddTo(command);
        preprocessFlag.AddTo(command);
        command.Options.Add(minSqnr);
        command.Options.Add(maxScoreDiff);
        command.SetAction(EdgecApp.Guarded(ctx, async (parse, ct) =>
        {
            DeviceProfile p;
            try
            {
                p = ProfileStore.Default().Load(parse.GetValue(profile)!);
            }
            catch (ProfileException e)
            {
                throw new UsageException(e.Message, e);
            }
            var modelPath = parse.GetValue(model)!.FullName;
            var inputShapes = shapeFlag.Shapes(parse);
            var source = OnnxModel.Load(modelPath);
            InputShapeOverride.Apply(source, inputShapes);
            var preprocess = preprocessFlag.Resolve(parse, source);
            var dataSpec = DataSpec.Parse(parse.GetValue(data)!, preprocess);
            PreprocessFlag.Describe(ctx, ModelInputs.Of(source), dataSpec);
            var calSpec = parse.GetValue(calibration);
            var fineTuneSpec = FineTuneFlags.LabelledData(parse.GetValue(fineTune));
            if (calSpec is not null)
            {
                DataSpec.Parse(calSpec, preprocess);
            }
            var training = fineTuneSpec is null ? null : new TrainingFineTuner(fineTuneFlags.Options(parse));
            var timeBudget = ParseDuration(parse.GetValue(budget)!);
            var drop = parse.GetValue(maxDrop);
            if (drop is < 0 or > 100)
            {
                throw new UsageException($"--max-drop {drop}: must be between 0 and 100 points");
            }
            var runThreads = parse.GetValue(threads) ?? (p.Id == "x64-host" ? p.Runtime.IntraOpThreads : 1);
            var (measurer, onBoard, registry) = ChooseMeasurer(ctx, parse.GetValue(device), p, dataSpec, runThreads, parse.GetValue(threads), inputShapes);
            if (!dataSpec.IsLabelled)
            {
                ctx.Warn($"{dataSpec.Text} has no labels: accuracy cannot be judged; the budget judges every output against the input model's by its own measure (decision agreement, score difference, SQNR), the worst output deciding");
            }
            var options = new OptimizeOptions
            {
                ModelPath = modelPath,
                OutputDirectory = parse.GetValue(output)!,
                Profile = p,
                DataSpec = dataSpec.Text,
                CalibrationSpec = calSpec,
                FineTuneSpec = fineTuneSpec,
                TimeBudget = timeBudget,
                MaxAccuracyDropPoints = drop,
                InputShapes = inputShapes,
                Preprocess = preprocess,
                GuardLimits = Limits(parse.GetValue(minSqnr), parse.GetValue(maxScoreDiff)),
                Tool = $"edgec {typeof(OptimizeCommand).Assembly.GetName().Version}",
            };
            OptimizeOutcome outcome;
            try
            {
                outcome = await new OptimizeRunner(Catalog(training), measurer).RunAsync(options, new LineProgress(ctx.Error), ct).ConfigureAwait(false);
            }
            catch (ArgumentException e)
            {
                throw new UsageException(e.Message, e);
            }
            if (onBoard?.PresentedFingerprint is { } fingerprint)
            {
                FleetTargets.PinFirstContact(registry!, [(registry!.Get(parse.GetValue(device)!), fingerprint)], ctx);
            }
            OptimizeSummary.Print(ctx, outcome);
            return outcome.ChosenId is null ? EdgecApp.ExitCheckFailed : EdgecApp.ExitOk;
        }));
        return command;
    }

    private static DefaultPassCatalog Catalog(TrainingFineTuner? training) => new(training, training);

    /// <summary>
    /// Latency on the named board through its edged; else measured here for an x86-64 profile; else the profile's
    /// cost model, scaled by whatever the results database measured on that profile's boards.
    /// </summary>
    private static (IVariantMeasurer Measurer, DeviceMeasurer? OnBoard, DeviceRegistry? Registry) ChooseMeasurer(
        CliContext ctx, string? deviceName, DeviceProfile p, DataSpec dataSpec, int runThreads, int? threadsGiven, IReadOnlyDictionary<string, long[]> inputShapes)
    {
        var database = new ResultsDatabase();
        if (deviceName is not null)
        {
            var registry = FleetTargets.Guard(() => DeviceRegistry.Load());
            var entry = FleetTargets.Guard(() => registry.Get(deviceName));
            var settings = new BenchSettings
            {
                Threads = threadsGiven ?? p.Runtime.IntraOpThreads,
                Warmup = 20,
                Iterations = 200,
                Power = p.Power.Kind is { Length: > 0 } kind && kind != "none",
                InputShapes = inputShapes,
            };
            var onBoard = new DeviceMeasurer(new LocalMeasurer(dataSpec, runThreads, iterations: 0, inputShapes: inputShapes), entry, settings, EdgedClient.DefaultRequestTimeout, database);
            ctx.Warn($"latency measured on {deviceName} through its edged ({settings.Threads} thread(s), 200 iterations per candidate); accuracy on this host");
            return (onBoard, onBoard, registry);
        }
        if (p.Cpu.Architecture == "x86_64")
        {
            return (new LocalMeasurer(dataSpec, runThreads, inputShapes: inputShapes), null, null);
        }
        var calibration = FleetTargets.Guard(() => DeviceMeasurer.CalibrationFor(p, database));
        ctx.Warn(calibration is null
            ? $"no device given for {p.Id}: latency is estimated from the profile's cost model, not measured"
            : $"no device given for {p.Id}: latency is estimated from the profile's cost model, scaled x{calibration.Scale:F2} by {calibration.Measurements} model(s) measured on {p.Id} boards");
        return (new EstimatingMeasurer(new LocalMeasurer(dataSpec, runThreads, iterations: 0, inputShapes: inputShapes), p, calibration), null, null);
    }

    /// <summary>The per-output limits the flags give; a usage error for values no guard can use.</summary>
    private static EdgeCompress.Compression.Evaluation.GuardLimits Limits(double? minSqnr, double? maxScoreDiff)
    {
        var defaults = new EdgeCompress.Compression.Evaluation.GuardLimits();
        if (minSqnr is { } q && double.IsNaN(q))
        {
            throw new UsageException("--min-sqnr: not a number");
        }
        if (maxScoreDiff is { } d && !(d >= 0))
        {
            throw new UsageException($"--max-score-diff {d.ToString(CultureInfo.InvariantCulture)}: must be 0 or more");
        }
        return defaults with { MinSqnrDb = minSqnr ?? defaults.MinSqnrDb, MaxScoreDifference = maxScoreDiff ?? defaults.MaxScoreDifference };
    }

    /// <summary>Parses 90s, 30m, 2h, or a TimeSpan (00:30:00).</summary>
    public static TimeSpan ParseDuration(string text)
    {
        var t = text.Trim();
        if (t.Length > 1 && double.TryParse(t[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0)
        {
            switch (t[^1])
            {
                case 's': return TimeSpan.FromSeconds(n);
                case 'm': return TimeSpan.FromMinutes(n);
                case 'h': return TimeSpan.FromHours(n);
            }
        }
        if (TimeSpan.TryParse(t, CultureInfo.InvariantCulture, out var ts) && ts >= TimeSpan.Zero)
        {
            return ts;
        }
        throw new UsageException($"--time-budget '{text}': use a duration like 90s, 30m or 2h");
    }

}
