using System.CommandLine;
using System.Globalization;
using EdgeCompress.Fleet;

namespace EdgeCompress.Cli.Commands;

/// <summary>Options shared by `push` and `bench`: which devices (--device/--all/--group), how many at once, how long
/// to wait; plus the one choke point that turns a <see cref="FleetException"/> into edgec's one-line exit-2 error.</summary>
internal sealed class FleetTargets
{
    public Option<string[]> Device { get; } = new("--device", "-d")
    {
        Description = "registered device name (repeatable); 'local' runs in this process where supported",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<bool> All { get; } = new("--all") { Description = "every registered device" };

    public Option<string[]> Group { get; } = new("--group", "-g") { Description = "every device of a group (repeatable)" };

    public Option<int> Parallel { get; } = new("--parallel") { Description = "devices worked on at once (each board runs its own benchmark; edgec only uploads and waits)", DefaultValueFactory = _ => 32 };

    public Option<double> Timeout { get; } = new("--timeout")
    {
        Description = "seconds a device may take to answer one request before it counts as unreachable",
        DefaultValueFactory = _ => EdgedClient.DefaultRequestTimeout.TotalSeconds,
    };

    public Option<double?> Deadline { get; } = new("--deadline") { Description = "seconds each device may take in total (default depends on the command)" };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Device, All, Group, Parallel, Timeout, Deadline })
        {
            command.Options.Add(option);
        }
    }

    public TimeSpan RequestTimeout(ParseResult parse)
    {
        var seconds = parse.GetValue(Timeout);
        if (!(seconds > 0 && seconds <= 3600))
        {
            throw new UsageException($"--timeout must be above 0 and at most 3600 seconds, got {seconds.ToString(CultureInfo.InvariantCulture)}");
        }

        return TimeSpan.FromSeconds(seconds);
    }

    public TimeSpan DeviceDeadline(ParseResult parse, TimeSpan fallback)
    {
        if (parse.GetValue(Deadline) is not { } seconds)
        {
            return fallback;
        }

        if (!(seconds > 0 && seconds <= 86_400))
        {
            throw new UsageException($"--deadline must be above 0 and at most 86400 seconds, got {seconds.ToString(CultureInfo.InvariantCulture)}");
        }

        return TimeSpan.FromSeconds(seconds);
    }

    public int MaxParallel(ParseResult parse)
    {
        var parallel = parse.GetValue(Parallel);
        return parallel is >= 1 and <= 256 ? parallel : throw new UsageException($"--parallel must be 1 to 256, got {parallel}");
    }

    /// <summary>The registered devices named by the options; <paramref name="local"/> is set when 'local' was among them.</summary>
    public IReadOnlyList<DeviceEntry> Select(ParseResult parse, DeviceRegistry registry, bool allowLocal, out bool local)
    {
        var names = parse.GetValue(Device) ?? [];
        var groups = parse.GetValue(Group) ?? [];
        var all = parse.GetValue(All);
        local = names.Contains(LocalBench.DeviceName, StringComparer.Ordinal);
        if (local && !allowLocal)
        {
            throw new UsageException("--device local is only for `edgec bench` (push needs a daemon)");
        }

        if (names.Length == 0 && groups.Length == 0 && !all)
        {
            throw new UsageException($"say where: --device NAME, --all or --group G{(allowLocal ? " (or --device local)" : "")}");
        }

        return Guard(() => registry.Select(names.Where(n => n != LocalBench.DeviceName).ToList(), all, groups));
    }

    /// <summary>Runs fleet code, turning its problems into edgec's one-line usage errors (exit 2).</summary>
    public static T Guard<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (FleetException ex)
        {
            throw new UsageException(ex.Message, ex);
        }
    }

    /// <summary>Async form of <see cref="Guard{T}(Func{T})"/>.</summary>
    public static async Task<T> GuardAsync<T>(Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (FleetException ex)
        {
            throw new UsageException(ex.Message, ex);
        }
    }

    /// <summary>Pins the certificate of devices reached for the first time (trust on first use, like SSH) and says so.</summary>
    public static void PinFirstContact(DeviceRegistry registry, IEnumerable<(DeviceEntry Device, string Fingerprint)> seen, CliContext ctx)
    {
        var changed = false;
        foreach (var (device, fingerprint) in seen)
        {
            if (device.IsHttps && device.FingerprintSha256 is null)
            {
                device.FingerprintSha256 = fingerprint;
                ctx.Warn($"{device.Name}: first contact; pinned TLS certificate SHA-256 {fingerprint}");
                changed = true;
            }
        }

        if (changed)
        {
            Guard(() =>
            {
                registry.Save();
                return 0;
            });
        }
    }
}
