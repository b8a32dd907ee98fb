using System.CommandLine;
using System.Text.Json;
using EdgeCompress.Fleet;

namespace EdgeCompress.Cli.Commands;

/// <summary>
/// `edgec push MODEL --device NAME|--all|--group G [--name N]`: streams the model to each device's store with its
/// SHA-256 (skipped where the newest version already has those bytes), progress on stderr, bounded retries on a
/// dropped connection, and one outcome line per device. A model with ONNX external data is sent as one self-contained
/// file (edged stores one file per model). Exit 0 all stored, 1 some failed, 2 bad input (or the only
/// device failed).
/// </summary>
internal static class PushCommand
{
    public static Command Create(CliContext ctx)
    {
        var model = new Argument<string>("MODEL") { Description = "ONNX model file" };
        var name = new Option<string>("--name") { Description = "store name on the device (default: the file name without .onnx)" };
        var json = new Option<bool>("--json") { Description = "print the per-device outcomes as JSON" };
        var targets = new FleetTargets();
        var command = new Command("push", "Upload a model to one device, a group or all devices (checksummed, resumable by retry).");
        command.Arguments.Add(model);
        command.Options.Add(name);
        command.Options.Add(json);
        targets.AddTo(command);
        command.SetAction(EdgecApp.Guarded(ctx, async (parse, ct) =>
        {
            var opened = FleetTargets.Guard(() => ModelFile.Open(parse.GetValue(model)!));
            var storeName = FleetTargets.Guard(() => parse.GetValue(name) is { } given ? ModelFile.CheckName(given) : opened.DefaultName);
            var registry = FleetTargets.Guard(() => DeviceRegistry.Load(ctx.Env.Paths.RegistryFile));
            var devices = targets.Select(parse, registry, allowLocal: false, out _);
            using var upload = FleetConsole.PrepareUpload(opened, ctx);
            var file = upload.File;
            var timeout = targets.RequestTimeout(parse);
            var deadline = targets.DeviceDeadline(parse, TimeSpan.FromMinutes(30));
            var output = new FleetConsole(ctx);
            var seen = new System.Collections.Concurrent.ConcurrentBag<(DeviceEntry, string)>();
            var outcomes = await FleetRunner.RunAsync(devices, targets.MaxParallel(parse), deadline, async (device, token) =>
            {
                using var client = new EdgedClient(device, timeout);
                try
                {
                    var sent = new SyncProgress<long>(bytes => output.Report(new DeviceProgress(device.Name, "uploading", bytes, file.Length)));
                    return await ModelPusher.PushAsync(client, file, storeName, sent, output.Note, null, token).ConfigureAwait(false);
                }
                finally
                {
                    if (client.PresentedFingerprint is { } fingerprint)
                    {
                        seen.Add((device, fingerprint));
                    }
                }
            }, o =>
            {
                // A lone device's failure is reported once, as edgec's error line.
                if (o.Succeeded || devices.Count > 1)
                {
                    output.Note(Line(o, file));
                }
            }, ct).ConfigureAwait(false);
            FleetTargets.PinFirstContact(registry, seen, ctx);

            if (parse.GetValue(json))
            {
                var reports = outcomes.Select(o => FleetOutcomeReport.From(o, (r, v) => (r.ModelName, r.ModelVersion, r.Uploaded) = (v.Name, v.Version.Version, v.Uploaded))).ToList();
                await ctx.Out.WriteLineAsync(JsonSerializer.Serialize(reports, FleetJsonContext.Default.ListFleetOutcomeReport)).ConfigureAwait(false);
            }

            if (devices.Count == 1 && outcomes[0].Error is { } only)
            {
                throw new UsageException(only.Message, only);
            }

            var failed = outcomes.Where(o => !o.Succeeded).Select(o => o.Device.Name).ToList();
            if (!parse.GetValue(json))
            {
                await ctx.Out.WriteLineAsync(FleetConsole.Summary("pushed", storeName, outcomes.Count - failed.Count, outcomes.Count, failed)).ConfigureAwait(false);
            }

            return failed.Count == 0 ? EdgecApp.ExitOk : EdgecApp.ExitCheckFailed;
        }));
        return command;
    }

    private static string Line(FleetOutcome<PushOutcome> outcome, ModelFile file) => outcome switch
    {
        { Error: { } error } => $"{outcome.Device.Name}: FAILED: {error.Message}",
        { Value: { Uploaded: false } v } => $"{outcome.Device.Name}: already has {v.Name} v{v.Version.Version} (same SHA-256); nothing sent",
        { Value: { } v } => $"{outcome.Device.Name}: stored {v.Name} v{v.Version.Version} ({FleetConsole.Bytes(file.Length)}, sha256 {file.Sha256[..12]}…, " +
                            $"{outcome.Elapsed.TotalSeconds:0.0} s{(v.Attempts > 1 ? $", {v.Attempts} attempts" : "")})",
        _ => $"{outcome.Device.Name}: done",
    };
}
