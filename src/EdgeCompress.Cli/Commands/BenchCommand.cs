using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EdgeCompress.Fleet;

namespace EdgeCompress.Cli.Commands;

/// <summary>
/// `edgec bench MODEL --device NAME|--all|--group G|--device local [--threads N --iterations N --duration S --warmup N --power]`:
/// pushes the model where it is missing (by SHA-256), runs the benchmark through each daemon (or in process for
/// local), follows progress, prints a result table and appends every result to the local results database.
/// `edgec bench --export csv|json [--out F]` exports that database (as `edgec results --export` does).
/// With `--data SPEC [--preprocess P.json]` every device runs the user's samples (sent as an input set) instead of
/// generated inputs, and its outputs are judged against this host's, per output (<see cref="BenchData"/>).
/// </summary>
internal static class BenchCommand
{
    public static Command Create(CliContext ctx)
    {
        var f = new Flags();
        var command = new Command("bench", "Benchmark a model on devices through edged (or --device local in process); results go to the local results database.");
        f.AddTo(command);
        OptionRules.Add(command, (r => r.GetValue(f.Iterations) is not null && r.GetValue(f.Duration) is not null, "give either --iterations or --duration, not both"));
        command.SetAction(EdgecApp.Guarded(ctx, (parse, ct) => RunAsync(ctx, f, parse, ct)));
        return command;
    }

    private static async Task<int> RunAsync(CliContext ctx, Flags f, ParseResult parse, CancellationToken ct)
    {
        if (parse.GetValue(f.Export) is { } format)
        {
            return ResultsCommand.ExportAll(ctx, format, parse.GetValue(f.ExportOut));
        }

        if (parse.GetValue(f.Model) is not { } modelPath)
        {
            throw new UsageException("give a MODEL to benchmark (or --export csv|json to export past results)");
        }

        var opened = FleetTargets.Guard(() => ModelFile.Open(modelPath));
        var prepared = parse.GetValue(f.Data) is { } dataText ? PrepareData(ctx, f, parse, opened, dataText) : null;
        var settings = new BenchSettings
        {
            Threads = parse.GetValue(f.Threads),
            Iterations = parse.GetValue(f.Iterations),
            DurationSeconds = parse.GetValue(f.Duration),
            Warmup = parse.GetValue(f.Warmup),
            Power = parse.GetValue(f.Power),
            InputShapes = f.Shape.Shapes(parse),
            InputSet = prepared?.Set,
        };
        var storeName = FleetTargets.Guard(() => parse.GetValue(f.Name) is { } given ? ModelFile.CheckName(given) : opened.DefaultName);
        FleetTargets.Guard(() => settings.ToRequest(storeName, null));
        var registry = FleetTargets.Guard(() => DeviceRegistry.Load(ctx.Env.Paths.RegistryFile));
        var devices = f.Targets.Select(parse, registry, allowLocal: true, out var local).ToList();
        if (local)
        {
            devices.Insert(0, new DeviceEntry { Name = LocalBench.DeviceName, Url = "http://localhost" });
        }

        // Only a device needs the model as one file; the local engine reads external data where it is.
        using var upload = devices.Any(d => d.Name != LocalBench.DeviceName) ? FleetConsole.PrepareUpload(opened, ctx) : null;
        var timeout = f.Targets.RequestTimeout(parse);
        var deadline = f.Targets.DeviceDeadline(parse, TimeSpan.FromSeconds(300 + 2 * (settings.DurationSeconds ?? 0)));
        var output = new FleetConsole(ctx, devices.Count);
        var runner = new BenchRunner(upload?.File ?? opened, storeName, settings, timeout, output);
        var parallel = f.Targets.MaxParallel(parse);
        if (output.Condensed)
        {
            output.Note(string.Create(CultureInfo.InvariantCulture,
                $"fan-out: {devices.Count} devices, {parallel} at once, request timeout {timeout.TotalSeconds:0} s, per-device deadline {deadline.TotalSeconds:0} s"));
        }

        var outcomes = await FleetRunner.RunAsync(devices, parallel, deadline, runner.RunAsync, o =>
        {
            if (!o.Succeeded && devices.Count > 1)
            {
                output.Failed(o.Device.Name);
                output.Note($"{o.Device.Name}: FAILED: {o.Error!.Message}");
            }
        }, ct).ConfigureAwait(false);
        FleetTargets.PinFirstContact(registry, runner.Seen, ctx);
        return await ReportAsync(ctx, f, parse, output, storeName, prepared, outcomes).ConfigureAwait(false);
    }

    /// <summary>--data: the input set and the host's outputs; with --json the notes go to stderr (stdout is JSON only).</summary>
    private static BenchData.Prepared PrepareData(CliContext ctx, Flags f, ParseResult parse, ModelFile opened, string dataText)
    {
        var (onnx, _) = f.Shape.Load(parse, opened.Path);
        var notes = parse.GetValue(f.Json) ? ctx.Error : ctx.Out;
        var prepared = BenchData.Prepare(onnx, opened.Path, PreprocessFlag.Spec(dataText, f.Preprocess.Resolve(parse, onnx))!, notes);
        notes.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"input set {prepared.Set.Sha256[..12]}: {prepared.Set.Samples.Count} samples, {prepared.Set.Bytes.Length / 1024.0:0.#} KiB; outputs computed on {prepared.HostDescription}"));
        return prepared;
    }

    /// <summary>Judges outputs (--data), stores the runs, prints the table or JSON; the exit code.</summary>
    private static async Task<int> ReportAsync(CliContext ctx, Flags f, ParseResult parse, FleetConsole output, string storeName,
        BenchData.Prepared? prepared, IReadOnlyList<FleetOutcome<BenchRecord>> outcomes)
    {
        var records = outcomes.Where(o => o.Succeeded).Select(o => o.Value!).ToList();
        foreach (var record in records.Where(r => prepared is not null && r.DeviceOutputs is not null))
        {
            record.Agreement = BenchData.Compare(prepared!, record.DeviceOutputs!, parse.GetValue(f.Threshold));
        }

        var database = new ResultsDatabase(ctx.Env.Paths.ResultsFile);
        FleetTargets.Guard(() =>
        {
            database.Append(records);
            return 0;
        });
        if (outcomes.Count == 1 && outcomes[0].Error is { } only)
        {
            throw new UsageException(only.Message, only);
        }

        if (parse.GetValue(f.Json))
        {
            var reports = outcomes.Select(o => FleetOutcomeReport.From(o, (r, v) => r.Record = v)).ToList();
            await ctx.Out.WriteLineAsync(JsonSerializer.Serialize(reports, FleetJsonContext.Default.ListFleetOutcomeReport)).ConfigureAwait(false);
        }
        else
        {
            BenchTable.Write(output, outcomes);
            if (prepared is not null)
            {
                BenchData.Write(ctx.Out, prepared, records);
            }

            var failed = outcomes.Where(o => !o.Succeeded).Select(o => o.Device.Name).ToList();
            await ctx.Out.WriteLineAsync(FleetConsole.Summary("benchmarked", storeName, records.Count, outcomes.Count, failed)).ConfigureAwait(false);
        }

        if (records.Count > 0)
        {
            output.Note($"appended {records.Count} result(s) to {database.Path}");
        }

        var disagree = records.Where(r => r.Agreement?.Failure is not null).Select(r => r.Device).ToList();
        if (disagree.Count > 0)
        {
            output.Note($"outputs disagree with this host's on: {string.Join(", ", disagree)}");
        }

        return outcomes.All(o => o.Succeeded) && disagree.Count == 0 ? EdgecApp.ExitOk : EdgecApp.ExitCheckFailed;
    }

    private sealed class Flags
    {
        public Argument<string?> Model { get; } = new("MODEL") { Description = "ONNX model file", Arity = ArgumentArity.ZeroOrOne };

        public Option<int> Threads { get; } = new("--threads") { Description = "intra-op threads (0: ONNX Runtime chooses)", DefaultValueFactory = _ => 1 };

        public Option<int?> Iterations { get; } = new("--iterations", "-n") { Description = "measured inferences (default 50)" };

        public Option<double?> Duration { get; } = new("--duration") { Description = "measure for this many seconds instead of a count" };

        public Option<int> Warmup { get; } = new("--warmup") { Description = "warm-up inferences before measuring", DefaultValueFactory = _ => 1 };

        public Option<bool> Power { get; } = new("--power") { Description = "sample power where the device has a sensor" };

        public Option<string> Name { get; } = new("--name") { Description = "store name when the model must be pushed (default: file name)" };

        public Option<bool> Json { get; } = new("--json") { Description = "print per-device outcomes with full results as JSON" };

        public Option<string?> Export { get; } = new("--export") { Description = "export the results database instead of benchmarking: csv or json" };

        public Option<string?> ExportOut { get; } = new("--out") { Description = "file for --export (default: stdout)" };

        public Option<string?> Data { get; } = new("--data")
        {
            Description = "real inputs: a data spec (image folder, .npy/.npz folder, ONNX test_data_set, fashion-mnist:test@N...); each device runs them and its outputs are compared with this host's (default 32 samples; SPEC@N for N)",
        };

        public Option<double> Threshold { get; } = new("--threshold") { Description = "with --data: decision threshold of a score output (one sigmoid value per sample)", DefaultValueFactory = _ => 0.5 };

        public PreprocessFlag Preprocess { get; } = new();

        public FleetTargets Targets { get; } = new();

        public InputShapeFlag Shape { get; } = new();

        public void AddTo(Command command)
        {
            command.Arguments.Add(Model);
            foreach (var option in new Option[] { Threads, Iterations, Duration, Warmup, Power, Name, Json, Export, ExportOut, Data, Threshold })
            {
                command.Options.Add(option);
            }

            Preprocess.AddTo(command);
            Targets.AddTo(command);
            Shape.AddTo(command);
        }
    }
}
