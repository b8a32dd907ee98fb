using System.CommandLine;
using System.Globalization;
using EdgeCompress.Compression.Execution;
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
        var threads = new Option<int?>("--threads") { Description = "threads for local latency (default: the profile's)" };
        var fineTune = new Option<string?>("--finetune") { Description = "data SPEC to fine-tune pruned/factorized candidates on (distilled from the input model)" };
        var fineTuneFlags = new FineTuneFlags();
        var shapeFlag = new InputShapeFlag();
        var preprocessFlag = new PreprocessFlag();
        var guardFlags = new GuardFlags();
        var recipe = new Option<string[]>("--recipe")
        {
            Description = "recipes to try instead of the built-in grid: a recipe file, FILE#ID, a manifest.json (FILE#ID for one variant), "
                + "or the name of a recipe beside the device profiles (edgec recipes lists them); repeatable",
        };
        var device = new Option<string?>("--device") { Description = "registered device (edgec devices add) to measure latency and energy on, through its edged" };
        var command = new Command("optimize", "Search compression settings for a device profile; keep every candidate, mark the Pareto set, choose the best balance of speed-up and size reduction within budget.");
        command.Arguments.Add(model);
        foreach (var o in new Option[] { profile, data, output, calibration, budget, threads, fineTune, recipe, device })
        {
            command.Options.Add(o);
        }
        fineTuneFlags.AddTo(command);
        shapeFlag.AddTo(command);
        preprocessFlag.AddTo(command);
        guardFlags.AddTo(command);
        command.SetAction(EdgecApp.Guarded(ctx, async (parse, ct) =>
        {
            DeviceProfile p;
            try
            {
                p = ctx.Env.Profiles.Load(parse.GetValue(profile)!);
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
            // A dynamic height/width the data fixes (images at the preprocess size) is the size latency and the
            // passes' shape probes work at; written variants keep the axis dynamic.
            var implied = InputShapeOverride.ImpliedByData(source, dataSpec, inputShapes);
            foreach (var (name, dims) in implied.Where(kv => !inputShapes.ContainsKey(kv.Key)))
            {
                ctx.Out.WriteLine($"input '{name}' sized {string.Join("x", dims)} by {dataSpec.Text} (its first sample) for latency and shape probes; --input-shape chooses another size");
            }
            inputShapes = implied;
            var calSpec = parse.GetValue(calibration);
            var fineTuneSpec = FineTuneFlags.LabelledData(parse.GetValue(fineTune));
            if (calSpec is not null)
            {
                DataSpec.Parse(calSpec, preprocess);
            }
            var training = fineTuneSpec is null ? null : new TrainingFineTuner(fineTuneFlags.Options(parse));
            var passes = DefaultPasses.Registry(training, training);
            var recipes = Recipes(ctx, parse.GetValue(recipe) ?? [], passes);
            var timeBudget = Durations.Parse(parse.GetValue(budget)!);
            // The same guard flags as quantize/prune/factorize; --max-drop defaults to the profile's budget here.
            var guard = guardFlags.Settings(parse);
            var runThreads = parse.GetValue(threads) ?? (p.Cpu.Architecture == "x86_64" ? p.Runtime.IntraOpThreads : 1);
            var (measurer, onBoard, registry) = ChooseMeasurer(ctx, parse.GetValue(device), p, dataSpec, runThreads, parse.GetValue(threads), inputShapes, guard);
            if (guard.Metric is { } metric)
            {
                ctx.Out.WriteLine($"accuracy budget judged by {metric.Name} on {dataSpec.Text}, {(metric.HigherIsBetter ? "higher" : "lower")} is better; --max-drop in its units");
            }
            else if (!dataSpec.IsLabelled)
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
                MaxAccuracyDropPoints = guard.MaxDrop,
                Metric = guard.Metric,
                InputShapes = inputShapes,
                Preprocess = preprocess,
                Recipes = recipes,
                GuardLimits = guard.Limits,
                Tool = $"edgec {typeof(OptimizeCommand).Assembly.GetName().Version}",
            };
            var outcome = await new OptimizeRunner(passes, measurer).RunAsync(options, new LineProgress(ctx.Error), ct).ConfigureAwait(false);
            if (onBoard?.PresentedFingerprint is { } fingerprint)
            {
                FleetTargets.PinFirstContact(registry!, [(registry!.Get(parse.GetValue(device)!), fingerprint)], ctx);
            }
            OptimizeSummary.Print(ctx, outcome);
            return outcome.ChosenId is null ? EdgecApp.ExitCheckFailed : EdgecApp.ExitOk;
        }));
        return command;
    }

    /// <summary>The recipes named by --recipe, in order (null: the built-in grid).</summary>
    private static IReadOnlyList<Recipe>? Recipes(CliContext ctx, string[] references, PassRegistry passes)
    {
        if (references.Length == 0)
        {
            return null;
        }
        var recipes = RecipeFile.ResolveAll(references, ctx.Env.Profiles, passes);
        ctx.Out.WriteLine($"{recipes.Count} recipe(s) from {string.Join(", ", references)}: {string.Join(", ", recipes.Select(r => r.Id))}");
        return recipes;
    }

    /// <summary>
    /// Latency on the named board through its edged; else measured here for an x86-64 profile; else the profile's
    /// cost model, scaled by whatever the results database measured on that profile's boards.
    /// </summary>
    private static (IVariantMeasurer Measurer, DeviceMeasurer? OnBoard, DeviceRegistry? Registry) ChooseMeasurer(
        CliContext ctx, string? deviceName, DeviceProfile p, DataSpec dataSpec, int runThreads, int? threadsGiven, IReadOnlyDictionary<string, long[]> inputShapes,
        EdgeCompress.Compression.Evaluation.QualitySettings guard)
    {
        LocalMeasurer Local(int? iterations = null) => iterations is { } n
            ? new LocalMeasurer(dataSpec, runThreads, iterations: n, inputShapes: inputShapes, metric: guard.Metric, threshold: guard.Threshold)
            : new LocalMeasurer(dataSpec, runThreads, inputShapes: inputShapes, metric: guard.Metric, threshold: guard.Threshold);
        var database = new ResultsDatabase(ctx.Env.Paths.ResultsFile);
        if (deviceName is not null)
        {
            var registry = FleetTargets.Guard(() => DeviceRegistry.Load(ctx.Env.Paths.RegistryFile));
            var entry = FleetTargets.Guard(() => registry.Get(deviceName));
            var settings = new BenchSettings
            {
                Threads = threadsGiven ?? p.Runtime.IntraOpThreads,
                Warmup = 20,
                Iterations = 200,
                Power = p.Power.Kind is { Length: > 0 } kind && kind != "none",
                InputShapes = inputShapes,
            };
            var onBoard = new DeviceMeasurer(Local(0), entry, settings, EdgedClient.DefaultRequestTimeout, database);
            ctx.Warn($"latency measured on {deviceName} through its edged ({settings.Threads} thread(s), 200 iterations per candidate); accuracy on this host");
            return (onBoard, onBoard, registry);
        }
        if (p.Cpu.Architecture == "x86_64")
        {
            return (Local(), null, null);
        }
        var calibration = FleetTargets.Guard(() => DeviceMeasurer.CalibrationFor(p, database));
        ctx.Warn(calibration is null
            ? $"no device given for {p.Id}: latency is estimated from the profile's cost model, not measured"
            : $"no device given for {p.Id}: latency is estimated from the profile's cost model, scaled x{calibration.Scale:F2} by {calibration.Measurements} model(s) measured on {p.Id} boards");
        return (new EstimatingMeasurer(Local(0), p, calibration), null, null);
    }
}
