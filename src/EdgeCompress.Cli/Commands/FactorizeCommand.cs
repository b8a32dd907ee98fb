using System.CommandLine;
using System.Globalization;
using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Factorization;
using EdgeCompress.Compression.Search;
using EdgeCompress.Compression.Passes;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Training;
using EdgeCompress.Runtime;

namespace EdgeCompress.Cli.Commands;

/// <summary>`edgec factorize MODEL --out OUT [--rank-energy X | --params X [--calibration SPEC] | --auto | --rank R...]`: low-rank
/// factorization of Gemm/MatMul (SVD) and Conv (Tucker-2, CP or SVD) layers, with a per-layer report.</summary>
internal static class FactorizeCommand
{
    public static Command Create(CliContext ctx)
    {
        var model = new Argument<FileInfo>("MODEL") { Description = "ONNX model file" };
        var output = new Option<FileInfo>("--out") { Description = "where to write the factorized model", Required = true };
        var energy = new Option<double?>("--rank-energy") { Description = "keep this fraction of singular-value energy per layer, in (0,1] (default 0.95)" };
        var paramsTarget = new Option<double?>("--params") { Description = "target fraction of the model's parameters, in (0,1); ranks spread by sensitivity" };
        var auto = new Option<bool>("--auto") { Description = "estimate each layer's rank automatically (VBMF)" };
        var rank = new Option<string[]>("--rank") { Description = "fixed rank R for every layer, or NODE=R for one node (repeatable)", AllowMultipleArgumentsPerToken = true };
        var method = new Option<string>("--method") { Description = "decomposition for k x k convs: auto (Tucker-2), svd, tucker, cp", DefaultValueFactory = _ => "auto" };
        method.AcceptOnlyFromAmong("auto", "svd", "tucker", "cp");
        var roundTo = new Option<int>("--round-to") { Description = "round ranks up to a multiple of N (device-friendly widths)", DefaultValueFactory = _ => 1 };
        var minSaving = new Option<double>("--min-saving") { Description = "factorize a layer only if it saves at least this fraction of its weights", DefaultValueFactory = _ => 0.1 };
        var exclude = new Option<string[]>("--exclude") { Description = "nodes to leave as they are", AllowMultipleArgumentsPerToken = true };
        var calibration = new Option<string?>("--calibration") { Description = "with --params: spread ranks by the output error each layer's cut causes on this data SPEC (e.g. fashion-mnist:train@256)" };
        var finetune = new Option<string?>("--finetune") { Description = "fine-tune on this data SPEC afterwards to recover accuracy (distils from the original)" };
        var finetuneFlags = new FineTuneFlags();
        var guardFlags = new GuardFlags();
        var shapeFlag = new InputShapeFlag();
        var preprocessFlag = new PreprocessFlag();
        var check = new Option<string?>("--check") { Description = "compare outputs (and accuracy, for labelled data) with the original on this data SPEC" };
        var command = new Command("factorize", "Low-rank factorization: SVD for Gemm/MatMul, Tucker-2 or CP for convolutions.");
        command.Arguments.Add(model);
        foreach (var o in new Option[] { output, energy, paramsTarget, auto, rank, method, roundTo, minSaving, exclude, calibration, finetune, check })
        {
            command.Options.Add(o);
        }
        finetuneFlags.AddTo(command);
        guardFlags.AddTo(command);
        shapeFlag.AddTo(command);
        preprocessFlag.AddTo(command);
        command.SetAction(EdgecApp.Guarded(ctx, async (parse, ct) =>
        {
            var input = parse.GetValue(model)!;
            var outFile = parse.GetValue(output)!;
            if (string.Equals(Path.GetFullPath(input.FullName), Path.GetFullPath(outFile.FullName), StringComparison.Ordinal))
            {
                throw new UsageException($"--out {outFile}: is the input model; choose another output path");
            }
            var (original, shapes) = shapeFlag.Load(parse, input.FullName);
            var pre = preprocessFlag.Resolve(parse, original);
            var calibrationSpec = PreprocessFlag.Spec(parse.GetValue(calibration), pre);
            var options = BuildOptions(parse.GetValue(energy), parse.GetValue(paramsTarget), parse.GetValue(auto), parse.GetValue(rank) ?? [],
                parse.GetValue(method)!, parse.GetValue(roundTo), parse.GetValue(minSaving), parse.GetValue(exclude) ?? [], calibrationSpec);
            var finetuneSpec = PreprocessFlag.Spec(parse.GetValue(finetune), pre);
            var finetuneOptions = finetuneFlags.Options(parse);
            var guardSettings = guardFlags.Settings(parse);
            var checkSpec = PreprocessFlag.Spec(parse.GetValue(check), pre);
            PreprocessFlag.Describe(ctx, ModelInputs.Of(original), calibrationSpec, finetuneSpec, checkSpec);

            // The guard always runs: on --check, else the data the run already used, else random inputs (said so).
            var request = new PassJobRequest(new FactorizePass(options), finetuneSpec is null ? null : new TrainingFineTuner(finetuneOptions), finetuneSpec,
                guardSettings, [checkSpec, finetuneSpec, calibrationSpec]);
            var progress = new LineProgress(ctx.Error, "factorize: ");
            var job = await PassJob.RunAsync(original, request, progress, progress, ct).ConfigureAwait(false);
            var factorized = job.Model;
            foreach (var w in job.Record.Warnings)
            {
                ctx.Warn(w);
            }
            FactorizeReport.Write(ctx.Out, job.Record);
            if (job.Quality is null)
            {
                GuardReport.PrintNotMeasured(ctx, job.NotJudgedBecause!, guardSettings);
            }
            else if (!GuardReport.Print(ctx, job.Quality, guardSettings))
            {
                await ctx.Error.WriteLineAsync("edgec: quality budget missed (see the guard line above); nothing written").ConfigureAwait(false);
                return EdgecApp.ExitCheckFailed;
            }
            shapes.Restore(factorized);
            ModelMetadata.Record(factorized, finetuneSpec ?? calibrationSpec ?? checkSpec, ModelInputs.Of(original), guardSettings.Metric?.Template);
            factorized.Save(outFile.FullName);
            await ctx.Out.WriteLineAsync($"wrote {outFile.FullName}").ConfigureAwait(false);
            if (options.Selection == RankSelection.ParamsFraction && job.Record.Totals["params_ratio"] > options.ParamsFraction + 0.005)
            {
                await ctx.Error.WriteLineAsync($"edgec: parameter target {options.ParamsFraction:0.###} not reached ({job.Record.Totals["params_ratio"]:0.###}x); the model was written anyway").ConfigureAwait(false);
                return EdgecApp.ExitCheckFailed;
            }
            return EdgecApp.ExitOk;
        }));
        return command;
    }

    private static FactorizeOptions BuildOptions(double? energy, double? paramsTarget, bool auto, string[] ranks, string method,
        int roundTo, double minSaving, string[] exclude, DataSpec? calibration)
    {
        var chosen = (energy is null ? 0 : 1) + (paramsTarget is null ? 0 : 1) + (auto ? 1 : 0) + (ranks.Length == 0 ? 0 : 1);
        if (chosen > 1)
        {
            throw new UsageException("choose one of --rank-energy, --params, --auto or --rank");
        }
        int? globalRank = null;
        var nodeRanks = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var r in ranks)
        {
            var eq = r.LastIndexOf('=');
            var text = eq < 0 ? r : r[(eq + 1)..];
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                throw new UsageException($"--rank {r}: expected an integer R or NODE=R");
            }
            if (eq < 0)
            {
                globalRank = value;
            }
            else
            {
                nodeRanks[r[..eq]] = value;
            }
        }
        // The flags as the recipe step optimize would run (one mapping to the pass's options for both).
        var step = new FactorizeStep
        {
            Params = paramsTarget,
            Energy = energy,
            Auto = auto,
            Rank = globalRank,
            NodeRanks = nodeRanks,
            Method = Enum.Parse<FactorMethod>(method, ignoreCase: true),
            RoundTo = roundTo,
            MinSaving = minSaving,
            Exclude = exclude,
        };
        var options = step.ToOptions(calibration);
        options.Validate();
        return options;
    }
}
