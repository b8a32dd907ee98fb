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
        var model = new Argument<string?>("MODEL") { Description = "ONNX model file", Arity = ArgumentArity.ZeroOrOne };
        var threads = new Option<int>("--threads") { Description = "intra-op threads (0: ONNX Runtime chooses)", DefaultValueFactory = _ => 1 };
        var iterations = new Option<int?>("--iterations", "-n") { Description = "measured inferences (default 50)" };
        var duration = new Option<double?>("--duration") { Description = "measure for this many seconds instead of a count" };
        var warmup = new Option<int>("--warmup") { Description = "warm-up inferences before measuring", DefaultValueFactory = _ => 1 };
        var power = new Option<bool>("--power") { Description = "sample power where the device has a sensor" };
        var name = new Option<string>("--name") { Description = "store name when the model must be pushed (default: file name)" };
        var json = new Option<bool>("--json") { Description = "print per-device outcomes with full results as JSON" };
        var export = new Option<string?>("--export") { Description = "export the results database instead of benchmarking: csv or json" };
        var exportOut = new Option<string?>("--out") { Description = "file for --export (default: stdout)" };
        var data = new Option<string?>("--data") { Description = "real inputs: a data spec (image folder, .npy/.npz folder, ONNX test_data_set, fashion-mnist:test@N...); each device runs them and its outputs are compared with this host's (default 32 samples; SPEC@N for N)" };
        var threshold = new Option<double>("--threshold") { Description = "with --data: decision threshold of a score output (one sigmoid value per sample)", DefaultValueFactory = _ => 0.5 };
        var preprocessFlag = new PreprocessFlag();
        var targets = new FleetTargets();
        var shapeFlag = new InputShapeFlag();
        var command = new Command("bench", "Benchmark a model on devices through edged (or --device local in process); results go to the local results database.");
        command.Arguments.Add(model);
        foreach (var option in new Option[] { threads, iterations, duration, warmup, power, name, json, export, exportOut, data, threshold })
        {
            command.Options.Add(option);
        }

        preprocessFlag.AddTo(command);
        targets.AddTo(command);
        shapeFlag.AddTo(command);
        command.SetAction(EdgecApp.Guarded(ctx, async (parse, ct) =>
        {
            if (parse.GetValue(export) is { } format)
            {
                return ResultsCommand.ExportAll(ctx, format, parse.GetValue(exportOut));
            }

            if (parse.GetValue(model) is not { } modelPath)
            {
                throw new UsageException("give a MODEL to benchmark (or --export csv|json to export past results)");
            }

            if (parse.GetValue(iterations) is not null && parse.GetValue(duration) is not null)
            {
                throw new UsageException("give either --iterations or --duration, not both");
            }

            var opened = FleetTargets.Guard(() => ModelFile.Open(modelPath));
            BenchData.Prepared? prepared = null;
            if (parse.GetValue(data) is { } dataText)
            {
                var (onnx, _) = shapeFlag.Load(parse, opened.Path);
                // With --json, stdout holds the JSON only.
                var notes = parse.GetValue(json) ? ctx.Error : ctx.Out;
                prepared = BenchData.Prepare(onnx, opened.Path, PreprocessFlag.Spec(dataText, preprocessFlag.Resolve(parse, onnx))!, notes);
                notes.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"input set {prepared.Set.Sha256[..12]}: {prepared.Set.Samples.Count} samples, {prepared.Set.Bytes.Length / 1024.0:0.#} KiB; outputs computed on {prepared.HostDescription}"));
            }

            var settings = new BenchSettings
            {
                Threads = parse.GetValue(threads),
                Iterations = parse.GetValue(iterations),
                DurationSeconds = parse.GetValue(duration),
                Warmup = parse.GetValue(warmup),
                Power = parse.GetValue(power),
                InputShapes = shapeFlag.Shapes(parse),
                InputSet = prepared?.Set,
            };
            var storeName = FleetTargets.Guard(() => parse.GetValue(name) is { } given ? ModelFile.CheckName(given) : opened.DefaultName);
            FleetTargets.Guard(() => settings.ToRequest(storeName, null));
            var registry = FleetTargets.Guard(() => DeviceRegistry.Load());
            var devices = targets.Select(parse, registry, allowLocal: true, out var local).ToList();
            if (local)
            {
                devices.Insert(0, new DeviceEntry { Name = LocalBench.DeviceName, Url = "http://localhost" });
            }

            // Only a device needs the model as one file; the local engine reads external data where it is.
            using var upload = devices.Any(d => d.Name != LocalBench.DeviceName) ? PushCommand.Prepare(opened, ctx) : null;
            var file = upload?.File ?? opened;
            var timeout = targets.RequestTimeout(parse);
            var deadline = targets.DeviceDeadline(parse, TimeSpan.FromSeconds(300 + 2 * (settings.DurationSeconds ?? 0)));
            var output = new FleetConsole(ctx, devices.Count);
            var runner = new BenchRunner(file, storeName, settings, timeout, output);
            var parallel = targets.MaxParallel(parse);
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

            var records = outcomes.Where(o => o.Succeeded).Select(o => o.Value!).ToList();
            foreach (var record in records.Where(r => prepared is not null && r.DeviceOutputs is not null))
            {
                record.Agreement = BenchData.Compare(prepared!, record.DeviceOutputs!, parse.GetValue(threshold));
            }

            var database = new ResultsDatabase();
            FleetTargets.Guard(() =>
            {
                database.Append(records);
                return 0;
            });
            if (devices.Count == 1 && outcomes[0].Error is { } only)
            {
                throw new UsageException(only.Message, only);
            }

            if (parse.GetValue(json))
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
                await ctx.Out.WriteLineAsync(PushCommand.Summary("benchmarked", storeName, records.Count, outcomes.Count, failed)).ConfigureAwait(false);
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
        }));
        return command;
    }
}
