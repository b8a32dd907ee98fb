using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EdgeCompress.Fleet;

namespace EdgeCompress.Cli.Commands;

/// <summary>
/// `edgec devices add|list|remove|import`: the user's registry of edged daemons. `add` makes first contact and pins
/// the daemon's TLS certificate fingerprint (like SSH known_hosts); tokens stay in their files and are never printed.
/// </summary>
internal static class DevicesCommand
{
    public static Command Create(CliContext ctx)
    {
        var command = new Command("devices", "Register, list, remove and import edged devices (registry in the user's config folder).");
        command.Subcommands.Add(Add(ctx));
        command.Subcommands.Add(List(ctx));
        command.Subcommands.Add(Remove(ctx));
        command.Subcommands.Add(Import(ctx));
        return command;
    }

    private static Option<double> TimeoutOption() => new("--timeout")
    {
        Description = "seconds to wait for the daemon's answer",
        DefaultValueFactory = _ => EdgedClient.DefaultRequestTimeout.TotalSeconds,
    };

    private static Command Add(CliContext ctx)
    {
        var name = new Argument<string>("NAME") { Description = "device name, e.g. pi5-lab" };
        var url = new Argument<string>("URL") { Description = "daemon base URL, e.g. https://pi5.local:8443" };
        var tokenFile = new Option<string>("--token-file") { Description = "file holding edged's bearer token (copy of the board's /etc/edged/token)", Required = true };
        var group = new Option<string[]>("--group", "-g") { Description = "group(s) for --group selection (repeatable)" };
        var timeout = TimeoutOption();
        var command = new Command("add", "Register a device: contacts it, checks the token and pins its TLS certificate fingerprint.");
        command.Arguments.Add(name);
        command.Arguments.Add(url);
        command.Options.Add(tokenFile);
        command.Options.Add(group);
        command.Options.Add(timeout);
        command.SetAction(EdgecApp.Guarded(ctx, (parse, ct) => FleetTargets.GuardAsync(async () =>
        {
            var deviceName = parse.GetValue(name)!;
            if (!DeviceEntry.IsValidName(deviceName))
            {
                throw new UsageException($"device name '{deviceName}' is not allowed: letters, digits, '.', '-', '_' (at most 64; 'local' is reserved)");
            }

            var tokenPath = Path.GetFullPath(parse.GetValue(tokenFile)!);
            if (!File.Exists(tokenPath))
            {
                throw new UsageException($"--token-file {parse.GetValue(tokenFile)} does not exist");
            }

            var registry = DeviceRegistry.Load(ctx.Env.Paths.RegistryFile);
            var entry = new DeviceEntry
            {
                Name = deviceName,
                Url = DeviceEntry.NormalizeUrl(parse.GetValue(url)!),
                TokenFile = tokenPath,
                Groups = (parse.GetValue(group) ?? []).Distinct(StringComparer.Ordinal).ToList(),
                AddedUtc = DateTimeOffset.UtcNow,
            };
            if (registry.Find(deviceName) is not null)
            {
                throw new UsageException($"device '{deviceName}' is already registered (remove it first with `edgec devices remove {deviceName}`)");
            }

            using var client = new EdgedClient(entry, Seconds(parse.GetValue(timeout)));
            var info = await client.DeviceAsync(ct).ConfigureAwait(false);
            if (entry.IsHttps)
            {
                var presented = client.PresentedFingerprint!;
                if (info.TlsFingerprintSha256 is { } reported && DeviceEntry.CompactFingerprint(reported) != DeviceEntry.CompactFingerprint(presented))
                {
                    throw new UsageException($"{deviceName}: the certificate presented ({presented}) is not the one the daemon reports ({reported}); something between you and the board is answering; not added");
                }

                entry.FingerprintSha256 = presented;
            }

            WarnIfPlainHttp(entry, ctx);
            registry.Add(entry);
            registry.Save();
            await ctx.Out.WriteLineAsync($"added {deviceName}: {entry.Url}, profile {info.Profile ?? "(none)"}, {info.Architecture}, edged {info.EdgedVersion}, ONNX Runtime {info.OnnxRuntimeVersion}, {info.Sensors.Count} sensor(s)").ConfigureAwait(false);
            if (entry.FingerprintSha256 is { } pinned)
            {
                await ctx.Out.WriteLineAsync($"pinned TLS certificate SHA-256 {pinned}").ConfigureAwait(false);
            }

            return EdgecApp.ExitOk;
        })));
        return command;
    }

    private static Command List(CliContext ctx)
    {
        var json = new Option<bool>("--json") { Description = "print one JSON array" };
        var timeout = TimeoutOption();
        var command = new Command("list", "List registered devices and probe them concurrently: reachability, profile, versions, sensors.");
        command.Options.Add(json);
        command.Options.Add(timeout);
        command.SetAction(EdgecApp.Guarded(ctx, (parse, ct) => FleetTargets.GuardAsync(async () =>
        {
            var registry = DeviceRegistry.Load(ctx.Env.Paths.RegistryFile);
            var reports = await DeviceProber.ProbeAsync(registry.Devices, Seconds(parse.GetValue(timeout)), 16, ct).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                await ctx.Out.WriteLineAsync(JsonSerializer.Serialize(reports.ToList(), FleetJsonContext.Default.ListDeviceReport)).ConfigureAwait(false);
                return EdgecApp.ExitOk;
            }

            if (reports.Count == 0)
            {
                await ctx.Out.WriteLineAsync($"no devices registered ({registry.Path}); add one with `edgec devices add NAME URL --token-file F`").ConfigureAwait(false);
                return EdgecApp.ExitOk;
            }

            var output = new FleetConsole(ctx);
            var table = FleetConsole.Table("device", "url", "groups", "status", "profile", "arch", "cpus", "edged", "onnxruntime", "sensors", "pinned sha-256");
            foreach (var r in reports)
            {
                FleetConsole.Row(table, r.Name, r.Url, r.Groups.Count > 0 ? string.Join(",", r.Groups) : null,
                    r.Reachable ? $"ok {r.LatencyMs?.ToString("0", CultureInfo.InvariantCulture)} ms" : "UNREACHABLE",
                    r.Device?.Profile, r.Device?.Architecture, r.Device?.CpuCount.ToString(CultureInfo.InvariantCulture), r.Device?.EdgedVersion,
                    r.Device?.OnnxRuntimeVersion, r.Device is null ? null : r.Device.Sensors.Count == 0 ? "none" : string.Join(", ", r.Device.Sensors.Select(s => s.Name)),
                    FleetConsole.Short(r.FingerprintSha256));
            }

            output.Tables().Write(table);
            foreach (var r in reports.Where(r => r.Error is not null))
            {
                ctx.Warn(r.Error!);
            }

            return EdgecApp.ExitOk;
        })));
        return command;
    }

    private static Command Remove(CliContext ctx)
    {
        var name = new Argument<string>("NAME") { Description = "registered device name" };
        var command = new Command("remove", "Forget a device (its pinned fingerprint goes with it).");
        command.Arguments.Add(name);
        command.SetAction(EdgecApp.Guarded(ctx, (parse, _) => FleetTargets.GuardAsync(async () =>
        {
            var registry = DeviceRegistry.Load(ctx.Env.Paths.RegistryFile);
            registry.Remove(parse.GetValue(name)!);
            registry.Save();
            await ctx.Out.WriteLineAsync($"removed {parse.GetValue(name)}").ConfigureAwait(false);
            return EdgecApp.ExitOk;
        })));
        return command;
    }

    private static Command Import(CliContext ctx)
    {
        var inventory = new Argument<string>("INVENTORY") { Description = "Ansible inventory, INI or YAML" };
        var tokenFile = new Option<string>("--token-file") { Description = "token file for hosts without an edged_token_file var" };
        var timeout = TimeoutOption();
        var command = new Command("import", "Register every host of an Ansible inventory (vars: ansible_host, edged_url or edged_port, edged_token_file; groups kept).");
        command.Arguments.Add(inventory);
        command.Options.Add(tokenFile);
        command.Options.Add(timeout);
        command.SetAction(EdgecApp.Guarded(ctx, (parse, ct) => FleetTargets.GuardAsync(async () =>
        {
            var path = parse.GetValue(inventory)!;
            if (!File.Exists(path))
            {
                throw new UsageException($"inventory {path} does not exist");
            }

            var devices = Inventory.Load(path).ToDevices(path, parse.GetValue(tokenFile) is { } t ? Path.GetFullPath(t) : null);
            var registry = DeviceRegistry.Load(ctx.Env.Paths.RegistryFile);
            var fresh = devices.Where(d => registry.Find(d.Name) is null).ToList();
            foreach (var skipped in devices.Except(fresh))
            {
                ctx.Warn($"{skipped.Name} is already registered; left as it is");
            }

            // First contact now pins each reachable daemon's certificate; the others are pinned when first reached.
            var probes = await FleetRunner.RunAsync(fresh.Where(d => d.IsHttps && File.Exists(d.TokenFile)).ToList(), 16, Seconds(parse.GetValue(timeout)) * 2, async (device, token) =>
            {
                using var client = new EdgedClient(device, Seconds(parse.GetValue(timeout)));
                await client.HealthAsync(token).ConfigureAwait(false);
                return client.PresentedFingerprint;
            }, null, ct).ConfigureAwait(false);
            foreach (var probe in probes)
            {
                probe.Device.FingerprintSha256 = probe.Value;
                if (!probe.Succeeded)
                {
                    ctx.Warn($"{probe.Error!.Message}; its certificate will be pinned on first contact");
                }
            }

            foreach (var device in fresh)
            {
                if (!File.Exists(device.TokenFile))
                {
                    ctx.Warn($"{device.Name}: token file {device.TokenFile} does not exist yet");
                }

                WarnIfPlainHttp(device, ctx);
                registry.Add(device);
            }

            registry.Save();
            var groups = fresh.SelectMany(d => d.Groups).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            await ctx.Out.WriteLineAsync($"imported {fresh.Count} device(s) from {path}" +
                (groups.Count > 0 ? $" (groups: {string.Join(", ", groups)})" : "") +
                $"; {probes.Count(p => p.Succeeded)} pinned now; registry {registry.Path}").ConfigureAwait(false);
            return EdgecApp.ExitOk;
        })));
        return command;
    }

    /// <summary>Every request carries the bearer token; over plain http anyone on the path can read it and then drive
    /// the board. Loopback warns too: edgec cannot tell an SSH tunnel from a plain port forward. Registered anyway.</summary>
    private static void WarnIfPlainHttp(DeviceEntry device, CliContext ctx)
    {
        if (!device.IsHttps)
        {
            ctx.Warn($"{device.Name}: {device.Url} is plain http, so the bearer token travels in clear text; prefer https://, " +
                     "which edged serves by default with a self-signed certificate that edgec pins on first contact");
        }
    }

    private static TimeSpan Seconds(double seconds) => seconds is > 0 and <= 3600
        ? TimeSpan.FromSeconds(seconds)
        : throw new UsageException($"--timeout must be above 0 and at most 3600 seconds, got {seconds.ToString(CultureInfo.InvariantCulture)}");
}
