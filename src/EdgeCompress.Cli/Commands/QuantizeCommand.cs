using System.CommandLine;
using System.Globalization;
using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Passes;
using EdgeCompress.Compression.Quantization;
using EdgeCompress.Compression.Search;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Profiles;
using EdgeCompress.Runtime;
using EdgeCompress.Calibration;

namespace EdgeCompress.Cli.Commands;

/// <summary>`edgec quantize MODEL --out OUT`: int8 quantization (static QDQ or dynamic), measured and optionally
/// held to an accuracy budget.</summary>
internal static class QuantizeCommand
{
    public static Command Create(CliContext ctx)
    {
        var model = new Argument<FileInfo>("MODEL") { Description = "float ONNX model to quantize" };
        var output = new Option<FileInfo>("--out", "-o") { Description = "where to write the quantized model", Required = true };
        var mode = new Option<string?>("--mode") { Description = "static (QDQ, calibrated; default for conv nets) or dynamic (MatMul/Gemm models)" };
        mode.AcceptOnlyFromAmong("static", "dynamic");
        var calibration = new Option<string?>("--calibration") { Description = "calibration data SPEC: fashion-mnist:train@1000, a test_data_set folder, synthetic:N" };
        var method = new Option<string>("--calibration-method") { Description = "minmax, percentile or entropy", DefaultValueFactory = _ => "minmax" };
        method.AcceptOnlyFromAmong("minmax", "percentile", "entropy");
        var percentile = new Option<double>("--percentile") { Description = "percentile of values kept in range (percentile method)", DefaultValueFactory = _ => 99.999 };
        OptionRules.Percentile(percentile);
        var perChannel = new Option<bool>("--per-channel") { Description = "one weight scale per output channel (static default; opt-in for dynamic)" };
        var perTensor = new Option<bool>("--per-tensor") { Description = "one weight scale per tensor" };
        var exclude = new Option<string[]>("--exclude") { Description = "node names to keep in float", AllowMultipleArgumentsPerToken = true };
        var activation = new Option<string?>("--activation-type") { Description = "int8 (S8S8) or uint8 (U8S8); default: the profile's scheme, else uint8 on x86 hosts (their int8 kernels are u8 x s8) and int8 elsewhere" };
        activation.AcceptOnlyFromAmong("int8", "uint8");
        var reduceRange = new Option<bool?>("--reduce-range") { Description = "7-bit weights: needed by x86 hosts without VNNI (default: the profile's setting, else on exactly when this host is one; --reduce-range false to force 8-bit)" };
        var weightOnlyRecurrent = new Option<bool>("--weight-only-recurrent") { Description = "dynamic mode: store GRU/RNN weights int8 although ONNX Runtime has no int8 kernel for them (4x smaller, but slower)" };
        var profile = new Option<string?>("--profile") { Description = "device profile id (see device-profiles/) or a profile .json: decides activation type, reduce-range and per-channel unless a flag says otherwise" };
        var guardFlags = new GuardFlags("--accuracy-budget");
        var shapeFlag = new InputShapeFlag();
        var preprocessFlag = new PreprocessFlag();
        var noSpeedCheck = new Option<bool>("--no-speed-check") { Description = "static mode on this host's kind of CPU: do not time int8 against float nor keep the slower layer kinds (first conv, depthwise, non-MAC layers) float" };
        var evalData = new Option<string?>("--eval-data") { Description = "data the quality guard judges on (default: the calibration data; labelled data adds top-1/top-5)" };
        var command = new Command("quantize", "Quantize a model to int8 (static QDQ or dynamic) and report size, fidelity and accuracy.");
        command.Arguments.Add(model);
        foreach (var o in new Option[] { output, mode, calibration, method, percentile, perChannel, perTensor, exclude, activation, reduceRange, profile, weightOnlyRecurrent, evalData, noSpeedCheck })
        {
            command.Options.Add(o);
        }
        guardFlags.AddTo(command);
        shapeFlag.AddTo(command);
        preprocessFlag.AddTo(command);
        OptionRules.Add(command, (r => r.GetValue(perChannel) && r.GetValue(perTensor), "--per-channel and --per-tensor exclude each other"));
        command.SetAction(EdgecApp.Guarded(ctx, (parse, ct) =>
        {
            var request = new QuantizeRequest(
                parse.GetValue(model)!.FullName, parse.GetValue(output)!.FullName, parse.GetValue(mode), parse.GetValue(calibration),
                parse.GetValue(method)!, parse.GetValue(percentile), parse.GetValue(perChannel), parse.GetValue(perTensor),
                parse.GetValue(exclude) ?? [], parse.GetValue(activation), parse.GetValue(reduceRange), guardFlags.Settings(parse), parse.GetValue(evalData),
                parse.GetValue(profile), parse.GetValue(weightOnlyRecurrent), shapeFlag.Shapes(parse),
                parse.GetValue(preprocessFlag.Option), !parse.GetValue(noSpeedCheck));
            return Task.FromResult(Run(ctx, request, ct));
        }));
        return command;
    }

    internal sealed record QuantizeRequest(string Model, string Out, string? Mode, string? Calibration, string Method, double Percentile,
        bool PerChannel, bool PerTensor, string[] Exclude, string? Activation, bool? ReduceRange, QualitySettings Guard, string? EvalData, string? Profile, bool WeightOnlyRecurrent,
        IReadOnlyDictionary<string, long[]> InputShapes, FileInfo? Preprocess, bool SpeedCheck = true);

    /// <summary>Loads a profile by id or path; unknown or invalid is a usage error naming it (exit 2).</summary>
    private static DeviceProfile? LoadProfile(ProfileStore store, string? profileId)
    {
        if (profileId is null)
        {
            return null;
        }
        try
        {
            return store.Load(profileId);
        }
        catch (ProfileException e)
        {
            throw new UsageException($"--profile: {e.Message}", e);
        }
    }

    private static int Run(CliContext ctx, QuantizeRequest r, CancellationToken ct)
    {
        if (string.Equals(Path.GetFullPath(r.Out), Path.GetFullPath(r.Model), StringComparison.Ordinal))
        {
            throw new UsageException($"{r.Out}: --out is the input model; choose another output path");
        }
        // The profile is checked before the model is read, so a mistyped id is the only line printed.
        var deviceProfile = LoadProfile(ctx.Env.Profiles, r.Profile);
        var input = OnnxModel.Load(r.Model);
        var shapes = InputShapeOverride.Apply(input, r.InputShapes);
        // A float16 model is quantized in float32 and keeps its float16 inputs and outputs (one rule for every pass).
        var inputBytes = input.Proto.CalculateSize();
        Float16Record? half = null;
        if (Float16Precision.Applies(input))
        {
            (input, half) = Float16Precision.ToFloat32(input);
        }
        QuantizedModelCheck.ThrowIfQuantized(input);
        CheckExcludes(input, r.Exclude);
        var hasConv = input.Graph.Nodes.Any(n => n.OpType is "Conv" or "ConvTranspose");
        var quantMode = r.Mode switch
        {
            "static" => QuantizationMode.Static,
            "dynamic" => QuantizationMode.Dynamic,
            _ => hasConv || r.Calibration is not null ? QuantizationMode.Static : QuantizationMode.Dynamic,
        };
        var preprocess = r.Preprocess is { } pf ? Preprocess.Load(pf.FullName) : ModelMetadata.PreprocessOf(input);
        var calibration = PreprocessFlag.Spec(r.Calibration, preprocess);
        if (quantMode == QuantizationMode.Static && calibration is null)
        {
            throw new UsageException("static quantization needs --calibration SPEC (real samples; synthetic:N if you have none), or use --mode dynamic");
        }
        var evaluation = r.EvalData is not null ? PreprocessFlag.Spec(r.EvalData, preprocess) : calibration;
        PreprocessFlag.Describe(ctx, ModelInputs.Of(input), calibration, evaluation);
        if (calibration is { Kind: DataKind.Synthetic } && quantMode == QuantizationMode.Static)
        {
            ctx.Warn("calibrating on synthetic (random) inputs: activation ranges may not match real data, and accuracy cannot be judged");
        }
        var scheme = QuantizeScheme.Resolve(deviceProfile, r.Activation, r.ReduceRange, r.PerChannel, r.PerTensor, quantMode, ctx.Env.Int8Kernels);
        var options = Options(r, quantMode, scheme);
        // Refuse data that cannot feed the model before any work starts, so the error is the only line printed.
        foreach (var spec in new[] { calibration, evaluation }.OfType<DataSpec>().Distinct())
        {
            _ = spec.Open(ModelInputs.Of(input), 1).FirstOrDefault() ?? throw new UsageException($"data spec '{spec.Text}' gave no samples");
        }
        var (judgeData, whyNone) = PassJob.GuardData(input, evaluation);
        if (judgeData is null && (r.Guard.Enforced || r.Guard.Metric is not null))
        {
            throw new UsageException($"the quality budget needs data to judge on (--eval-data SPEC): {whyNone}");
        }
        var speedSkipped = SpeedCheckApplies(r, options, scheme);
        var job = QuantizeJob.Run(input, options, calibration, judgeData, r.Guard, speedSkipped is null, new LineProgress(ctx.Error), ct);
        if (job.NothingQuantized is { } nothing)
        {
            ctx.Error.WriteLine($"edgec: {nothing}; nothing written");
            return EdgecApp.ExitCheckFailed;
        }
        var (result, guard, speed, quality, cal) = (job.Result, job.Guard, job.Speed, job.Quality, job.Calibration);
        var prepared = job.Prepared;
        var written = half is null ? result.Model : Float16Precision.KeepInterface(result.Model, half);
        var figures = new QuantizeFigures(quality, inputBytes, written.Proto.CalculateSize());
        var passed = QuantizeSummary.Print(ctx, r.Model, r.Out, options, scheme, prepared.Record, result.Record, figures, guard, cal, r.Guard, whyNone);
        if (!passed || guard is { Met: false })
        {
            ctx.Error.WriteLine($"edgec: quality budget missed: {guard?.Why ?? quality?.Failure}; nothing written");
            return EdgecApp.ExitCheckFailed;
        }
        shapes.Restore(written);
        ModelMetadata.Record(written, calibration ?? evaluation, ModelInputs.Of(input), r.Guard.Metric?.Template);
        written.Save(r.Out);
        if (half is not null)
        {
            ctx.Warn(Float16Precision.QuantizedNote);
        }
        ctx.Out.WriteLine($"wrote {r.Out}");
        ReportSpeed(ctx, r.Out, options, speedSkipped, speed);
        WarnAfterWrite(ctx, r, options, scheme, [.. prepared.Record.Warnings, .. result.Record.Warnings], figures);
        return EdgecApp.ExitOk;
    }

    /// <summary>The flags as the recipe step optimize would run (one mapping to the quantizer's options for both).</summary>
    private static QuantizationOptions Options(QuantizeRequest r, QuantizationMode quantMode, QuantizeScheme scheme)
    {
        return quantMode == QuantizationMode.Static
            ? new QuantizeStaticStep
            {
                Scheme = scheme.Activations == ActivationType.U8 ? Int8Scheme.U8S8 : Int8Scheme.S8S8,
                PerChannel = scheme.PerChannel,
                ReduceRange = scheme.ReduceRange,
                CalibrationMethod = r.Method switch { "percentile" => CalibrationMethod.Percentile, "entropy" => CalibrationMethod.Entropy, _ => CalibrationMethod.MinMax },
                Percentile = r.Percentile,
                Exclude = r.Exclude,
            }.ToOptions()
            : new QuantizeDynamicStep { PerChannel = scheme.PerChannel, ReduceRange = scheme.ReduceRange, WeightOnlyRecurrent = r.WeightOnlyRecurrent, Exclude = r.Exclude }.ToOptions();
    }

    /// <summary>What the user should know about the written model: the passes' warnings, growth, the host's int8
    /// kernels, and the QAT command when static int8 lost accuracy.</summary>
    private static void WarnAfterWrite(CliContext ctx, QuantizeRequest r, QuantizationOptions options, QuantizeScheme scheme, IReadOnlyList<string> warnings,
        QuantizeFigures figures)
    {
        foreach (var w in warnings)
        {
            ctx.Warn(w);
        }
        if (figures.QuantBytes > figures.FloatBytes)
        {
            ctx.Warn(string.Create(CultureInfo.InvariantCulture,
                $"{Path.GetFileName(r.Out)} is larger than its input: {QuantizeSummary.Size(figures.FloatBytes)} -> {QuantizeSummary.Size(figures.QuantBytes)} ({(double)figures.QuantBytes / Math.Max(1, figures.FloatBytes):F2}x)"));
        }
        if (r.ReduceRange is null && scheme.Profile is null && ctx.Env.Int8Kernels.NeedsReduceRange)
        {
            ctx.Warn("this x86 host has no VNNI: weights use 7 bits so ONNX Runtime's int8 kernels here do not saturate (--reduce-range false for 8-bit weights)");
        }
        else if (!options.ReduceRange && ctx.Env.Int8Kernels.NeedsReduceRange)
        {
            ctx.Warn("8-bit weights on an x86 host without VNNI: ONNX Runtime's int8 kernels here saturate, so the figures above understate the model on ARM/VNNI");
        }
        if (options.Mode == QuantizationMode.Static && figures.Top1Drop > QatHintPoints)
        {
            // Quantisation-aware training retrains the weights under the same int8 ranges (measured: ResNet 1.42 pt
            // lost with entropy ranges -> 0.05 pt after one QAT epoch with them frozen).
            ctx.Warn(string.Create(CultureInfo.InvariantCulture,
                $"static int8 lost {figures.Top1Drop:F2} pt; to win it back: edgec qat {r.Model} {QatFlags(options, r.Method, ctx.Env.Int8Kernels)} --out QAT.onnx"));
        }
    }

    /// <summary>Null when the int8-vs-float speed check runs; else why not (it times on this host, so only for this
    /// host's kind of CPU and static mode).</summary>
    private static string? SpeedCheckApplies(QuantizeRequest r, QuantizationOptions options, QuantizeScheme scheme)
    {
        if (!r.SpeedCheck)
        {
            return "--no-speed-check";
        }
        if (options.Mode != QuantizationMode.Static)
        {
            return "dynamic mode";
        }
        return scheme.Profile is { } p && !string.Equals(p.Cpu.Architecture, EdgeCompress.Runtime.HostArchitecture.Uname, StringComparison.OrdinalIgnoreCase)
            ? $"profile {p.Id} is {p.Cpu.Architecture}, this host {EdgeCompress.Runtime.HostArchitecture.Uname}: host timings say nothing about the board"
            : null;
    }

    private static void ReportSpeed(CliContext ctx, string output, QuantizationOptions options, string? skipped, SpeedCheckOutcome? speed)
    {
        var c = CultureInfo.InvariantCulture;
        if (speed is null)
        {
            if (options.Mode == QuantizationMode.Static && skipped is { } why && why != "--no-speed-check")
            {
                ctx.Out.WriteLine($"  speed check     not run: {why} (edgec bench on the board measures it)");
            }
            return;
        }
        if (speed.KeptFloat.Count == 0)
        {
            ctx.Out.WriteLine(string.Create(c, $"  speed check     int8 {speed.SpeedUp:F2}x the float model (single thread, this host, median)"));
        }
        else
        {
            var kinds = string.Join("; ", speed.KeptFloat.Select(kv => $"{kv.Value.Count} {kv.Key}"));
            ctx.Out.WriteLine(string.Create(c, $"  speed check     int8 was {speed.FirstSpeedUp:F2}x the float model; kept float for speed: {kinds}: now {speed.SpeedUp:F2}x (single thread, this host, median)"));
        }
        foreach (var t in speed.Trials)
        {
            ctx.Out.WriteLine($"                  - {t}");
        }
        if (speed.SpeedUp < 1)
        {
            ctx.Warn(string.Create(c, $"int8 is slower than float on this host ({speed.SpeedUp:F2}x single-thread): {Path.GetFileName(output)} is smaller, not faster; check on the board (edgec bench) before shipping it for speed"));
        }
    }

    private static void CheckExcludes(OnnxModel model, string[] names)
    {
        var known = model.Graph.Nodes.SelectMany(n => new[] { n.Name, OnnxGraph.NodeLabel(n) }).ToHashSet(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (!known.Contains(name))
            {
                var examples = string.Join(", ", model.Graph.Nodes.Where(n => n.OpType is "Conv" or "Gemm" or "MatMul").Take(3).Select(OnnxGraph.NodeLabel));
                throw new UsageException($"--exclude '{name}': no node of that name in {Path.GetFileName(model.SourcePath)}"
                    + (examples.Length > 0 ? $" (nodes are named like: {examples})" : ""));
            }
        }
    }

    /// <summary>Accuracy lost (points) above which quantize points at QAT.</summary>
    private const double QatHintPoints = 0.5;

    /// <summary>The `edgec qat` flags that train under this run's scheme and activation ranges.</summary>
    private static string QatFlags(QuantizationOptions o, string method, Int8Host host)
    {
        var flags = new List<string> { "--calibration-method", method };
        if (o.Method == CalibrationMethod.Percentile)
        {
            flags.AddRange(["--percentile", o.Percentile.ToString(CultureInfo.InvariantCulture)]);
        }
        flags.Add("--freeze-ranges");
        if (o.Activations == ActivationType.U8)
        {
            flags.AddRange(["--activation-type", "uint8"]);
        }
        if (!o.PerChannel)
        {
            flags.Add("--per-tensor");
        }
        if (o.Activations != ActivationType.S8)
        {
            flags.AddRange(["--activation-type", "uint8"]);
        }
        if (o.ReduceRange != host.NeedsReduceRange)
        {
            flags.AddRange(["--reduce-range", o.ReduceRange ? "true" : "false"]);
        }
        return string.Join(' ', flags);
    }
}
