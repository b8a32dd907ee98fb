using System.CommandLine;
using System.Globalization;
using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Passes;
using EdgeCompress.Compression.Pruning;
using EdgeCompress.Compression.Search;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Runtime;

namespace EdgeCompress.Cli.Commands;

/// <summary>
/// `edgec prune MODEL --out OUT (--sparsity X --unstructured | --channels X) ...`: unstructured magnitude pruning
/// (smaller when compressed, no faster) or structured channel pruning (smaller and faster), with optional BN
/// recalibration, fine-tuning, evaluation, a latency benchmark and an accuracy sweep over ratios.
/// </summary>
internal static class PruneCommand
{
    /// <summary>Fine-tuning after pruning: distillation from the unpruned model in the training worker.</summary>
    private static readonly FineTuneFlags FineTuneSettings = new();

    /// <summary>The quality guard's budgets and metric.</summary>
    private static readonly GuardFlags Guard = new();

    /// <summary>--input-shape: dynamic axes sized for the work, kept dynamic in the output.</summary>
    private static readonly InputShapeFlag InputShape = new();

    /// <summary>--preprocess: how image folders become tensors.</summary>
    private static readonly PreprocessFlag PreprocessSetting = new();

    private sealed record Opts(
        Argument<FileInfo> Model, Option<FileInfo?> Out, Option<double?> Sparsity, Option<bool> Unstructured, Option<bool> PerLayer,
        Option<bool> AllLayers, Option<double?> Channels, Option<string> Importance, Option<bool> Global, Option<bool> Uniform,
        Option<int> RoundTo, Option<string[]> Exclude, Option<string[]> Only, Option<string?> Calibration, Option<string?> RecalibrateBn,
        Option<string?> FineTune, Option<string?> Eval, Option<bool> Bench, Option<string?> Sweep, Option<double?> TailRatio, Option<string[]> LayerRatio);

    public static Command Create(CliContext ctx)
    {
        var o = new Opts(
            new Argument<FileInfo>("MODEL") { Description = "ONNX model to prune (never modified)" },
            new Option<FileInfo?>("--out") { Description = "where to write the pruned model (required unless --sweep)" },
            new Option<double?>("--sparsity") { Description = "unstructured: fraction of weights set to zero, in (0,1); needs --unstructured" },
            new Option<bool>("--unstructured") { Description = "magnitude pruning of single weights (compresses, does not speed up)" },
            new Option<bool>("--per-layer") { Description = "unstructured: every layer reaches the sparsity (default: one global threshold)" },
            new Option<bool>("--all-layers") { Description = "unstructured: prune the first and last layers too" },
            new Option<double?>("--channels") { Description = "structured: fraction of output channels to remove, in (0,1)" },
            new Option<string>("--importance") { Description = "channel ranking: l1, l2, bn-scale or taylor", DefaultValueFactory = _ => "l1" },
            new Option<bool>("--global") { Description = "rank all channels together (layers get different ratios)" },
            new Option<bool>("--uniform") { Description = "same ratio in every layer (the default)" },
            new Option<int>("--round-to") { Description = "keep channel counts at multiples of N (default 8: one AVX2 / two NEON float vectors; counts off a vector width ran MobileNetV2 pruned 30% at 0.59x of the original, 1.45x with 8, 1.72x with 16 on AVX-512); 1 for exact ratios", DefaultValueFactory = _ => 8 },
            new Option<string[]>("--exclude") { Description = "layers (node names) left unpruned", AllowMultipleArgumentsPerToken = true },
            new Option<string[]>("--only") { Description = "prune only these layers; one that cannot be pruned is an error", AllowMultipleArgumentsPerToken = true },
            new Option<string?>("--calibration") { Description = "data for taylor importance (SPEC)" },
            new Option<string?>("--recalibrate-bn") { Description = "re-estimate BatchNormalization statistics on this data after pruning (SPEC)" },
            new Option<string?>("--finetune") { Description = "fine-tune the pruned model by distilling from the original on this data (SPEC)" },
            new Option<string?>("--eval") { Description = "report accuracy (labelled data) and output fidelity before/after on this data (SPEC)" },
            new Option<bool>("--bench") { Description = "single-thread latency benchmark: medians of original and pruned" },
            new Option<string?>("--sweep") { Description = "structured: accuracy curve over ratios, e.g. 0.1:0.7:0.1 or 0.1,0.3,0.5 (needs --eval)" },
            new Option<double?>("--tail-ratio") { Description = "structured: ratio for the layers at the smallest feature-map size (cheapest channels, read by the classifier), e.g. 0.25 with --channels 0.5" },
            new Option<string[]>("--layer-ratio") { Description = "structured: NODE=R, this layer's own ratio (repeatable)" });
        var command = new Command("prune", "Prune a model: unstructured magnitude sparsity or structured channel removal.");
        command.Arguments.Add(o.Model);
        foreach (var option in new Option[] { o.Out, o.Sparsity, o.Unstructured, o.PerLayer, o.AllLayers, o.Channels, o.Importance, o.Global,
            o.Uniform, o.RoundTo, o.Exclude, o.Only, o.Calibration, o.RecalibrateBn, o.FineTune, o.Eval, o.Bench, o.Sweep, o.TailRatio, o.LayerRatio })
        {
            command.Options.Add(option);
        }
        FineTuneSettings.AddTo(command);
        Guard.AddTo(command);
        InputShape.AddTo(command);
        PreprocessSetting.AddTo(command);
        OptionRules.Add(command,
            (r => r.GetValue(o.Sparsity) is null == r.GetValue(o.Channels) is null && r.GetValue(o.Sweep) is null, "say how to prune: --sparsity X --unstructured, or --channels X"),
            (r => r.GetValue(o.Sparsity) is not null && !r.GetValue(o.Unstructured), "--sparsity needs --unstructured (it zeroes single weights; use --channels for structured pruning)"),
            (r => r.GetValue(o.Unstructured) && r.GetValue(o.Sparsity) is null, "--unstructured needs --sparsity X"),
            (r => r.GetValue(o.Channels) is null && r.GetValue(o.Sweep) is null && (r.GetValue(o.TailRatio) is not null || r.GetValue(o.LayerRatio) is { Length: > 0 }),
                "--tail-ratio and --layer-ratio apply to structured pruning (--channels X)"),
            (r => r.GetValue(o.Global) && r.GetValue(o.Uniform), "--global and --uniform exclude each other"),
            (r => r.GetValue(o.Sweep) is not null && r.GetValue(o.Eval) is null, "--sweep needs --eval SPEC (the data the curve is measured on)"),
            (r => r.GetValue(o.Sweep) is null && r.GetValue(o.Out) is null, "--out is required"));
        command.SetAction(EdgecApp.Guarded(ctx, (parse, ct) => RunAsync(ctx, parse, o, ct)));
        return command;
    }

    private static async Task<int> RunAsync(CliContext ctx, ParseResult parse, Opts o, CancellationToken ct)
    {
        var modelFile = parse.GetValue(o.Model)!;
        var outFile = parse.GetValue(o.Out);
        var sparsity = parse.GetValue(o.Sparsity);
        var channels = parse.GetValue(o.Channels);
        var sweep = parse.GetValue(o.Sweep);
        var evalText = parse.GetValue(o.Eval);
        FineTuneSettings.Options(parse);
        var guardSettings = Guard.Settings(parse);
        if (outFile is not null && string.Equals(Path.GetFullPath(outFile.FullName), Path.GetFullPath(modelFile.FullName), StringComparison.Ordinal))
        {
            throw new UsageException($"{outFile}: refusing to overwrite the input model; choose another output path");
        }
        var (model, shapes) = InputShape.Load(parse, modelFile.FullName);
        var pre = PreprocessSetting.Resolve(parse, model);
        var eval = Spec(evalText, pre);
        var fineTune = Spec(parse.GetValue(o.FineTune), pre);
        PreprocessFlag.Describe(ctx, ModelInputs.Of(model), eval, fineTune);
        // Progress only on a terminal: piped output stays results, warnings and errors.
        IProgress<string>? progress = ctx.Interactive ? new LineProgress(ctx.Error, "... ") : null;
        if (sweep is not null)
        {
            PrintSweep(ctx, model, ParseRatios(sweep), r => ChannelOptions(parse, o, r, pre), eval!, progress, ct);
            return EdgecApp.ExitOk;
        }
        ICompressionPass pass = sparsity is not null
            ? new UnstructuredPruningPass(new PruneUnstructuredStep
            {
                Sparsity = sparsity.Value,
                PerLayer = parse.GetValue(o.PerLayer),
                AllLayers = parse.GetValue(o.AllLayers),
                Exclude = parse.GetValue(o.Exclude) ?? [],
            }.ToOptions())
            : new ChannelPruningPass(ChannelOptions(parse, o, channels!.Value, pre));
        // The guard always runs: on --eval, else the data the run already used, else random inputs (said so).
        var request = new PassJobRequest(pass, fineTune is null ? null : new TrainingFineTuner(FineTuneSettings.Options(parse)), fineTune, guardSettings,
            [eval, fineTune, Spec(parse.GetValue(o.Calibration), pre), Spec(parse.GetValue(o.RecalibrateBn), pre)]);
        // Fine-tuning takes minutes: its progress goes to stderr even when pruning itself stays quiet.
        var job = await PassJob.RunAsync(model, request, progress, progress ?? new LineProgress(ctx.Error, "prune: "), ct).ConfigureAwait(false);
        var pruned = job.Model;
        PruneOutput.Print(ctx, modelFile.Name, outFile!.Name, job.Record);
        if (job.Quality is null)
        {
            GuardReport.PrintNotMeasured(ctx, job.NotJudgedBecause!, guardSettings);
        }
        else if (!GuardReport.Print(ctx, job.Quality, guardSettings))
        {
            await ctx.Error.WriteLineAsync("edgec: quality budget missed (see the guard line above); nothing written").ConfigureAwait(false);
            return EdgecApp.ExitCheckFailed;
        }
        if (parse.GetValue(o.Bench))
        {
            PruneOutput.PrintLatency(ctx, PruneStudy.CompareLatency(model, pruned, cancellationToken: ct));
        }
        shapes.Restore(pruned);
        ModelMetadata.Record(pruned, fineTune ?? eval, ModelInputs.Of(model), guardSettings.Metric?.Template);
        pruned.Save(outFile.FullName);
        await ctx.Out.WriteLineAsync($"wrote {outFile.FullName}").ConfigureAwait(false);
        return EdgecApp.ExitOk;
    }

    /// <summary>The flags as the recipe step optimize would run (one mapping to the pass's options for both).</summary>
    private static PruneChannelsStep ChannelStep(ParseResult parse, Opts o, double ratio) => new()
    {
        Ratio = ratio,
        Importance = parse.GetValue(o.Importance) switch
        {
            "l1" => ChannelImportanceKind.L1,
            "l2" => ChannelImportanceKind.L2,
            "bn-scale" => ChannelImportanceKind.BnScale,
            "taylor" => ChannelImportanceKind.Taylor,
            var other => throw new UsageException($"--importance: '{other}' is not one of l1, l2, bn-scale, taylor"),
        },
        Global = parse.GetValue(o.Global),
        RoundTo = parse.GetValue(o.RoundTo),
        Exclude = parse.GetValue(o.Exclude) ?? [],
        Only = parse.GetValue(o.Only) ?? [],
        TailRatio = parse.GetValue(o.TailRatio),
        LayerRatios = LayerRatios(parse.GetValue(o.LayerRatio) ?? []),
    };

    private static ChannelPruningOptions ChannelOptions(ParseResult parse, Opts o, double ratio, Preprocess? pre) =>
        ChannelStep(parse, o, ratio).ToOptions(Spec(parse.GetValue(o.Calibration), pre), Spec(parse.GetValue(o.RecalibrateBn), pre));

    /// <summary>--layer-ratio NODE=R pairs; a malformed one is a usage error naming it.</summary>
    private static Dictionary<string, double> LayerRatios(string[] pairs)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var text in pairs)
        {
            var eq = text.LastIndexOf('=');
            if (eq <= 0 || !double.TryParse(text[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var ratio))
            {
                throw new UsageException($"--layer-ratio {text}: expected NODE=RATIO, e.g. conv10=0.25");
            }
            result[text[..eq]] = ratio;
        }
        return result;
    }

    private static DataSpec? Spec(string? text, Preprocess? pre) => PreprocessFlag.Spec(text, pre);

    private static void PrintSweep(CliContext ctx, OnnxModel model, IReadOnlyList<double> ratios, Func<double, ChannelPruningOptions> options, DataSpec data,
        IProgress<string>? progress, CancellationToken ct)
    {
        var baseline = PruneStudy.Evaluate(model, model, data, ct);
        ctx.Out.WriteLine("ratio  params  macs    accuracy  cosine");
        ctx.Out.WriteLine($"0.00   1.000   1.000   {PruneOutput.Percent(baseline.Accuracy),-8}  1.0000");
        foreach (var p in PruneStudy.Sweep(model, ratios, options, data, progress, ct))
        {
            ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{p.Ratio,-5:0.00}  {p.ParamsRatio,-6:0.000}  {p.MacsRatio,-6:0.000}  {PruneOutput.Percent(p.Quality.Accuracy),-8}  {p.Quality.Cosine:0.0000}"));
        }
        ctx.Out.WriteLine("(no fine-tuning: accuracy after pruning alone)");
    }

    private static List<double> ParseRatios(string text)
    {
        try
        {
            var parts = text.Split(':');
            if (parts.Length == 3)
            {
                var (from, to, step) = (Num(parts[0]), Num(parts[1]), Num(parts[2]));
                if (step <= 0)
                {
                    throw new FormatException();
                }
                var list = new List<double>();
                for (var i = 0; from + (i * step) <= to + 1e-9; i++)
                {
                    list.Add(Math.Round(from + (i * step), 6));
                }
                return list;
            }
            return text.Split(',').Select(Num).ToList();
        }
        catch (FormatException)
        {
            throw new UsageException($"--sweep: '{text}' is not FROM:TO:STEP or a comma-separated list of ratios");
        }

        static double Num(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
    }
}
