namespace EdgeCompress.Daemon.Hosting;

/// <summary>
/// edged's command line: a few documented switches mapped onto configuration keys. Unknown switches are an error
/// rather than silently becoming configuration keys nobody reads.
/// </summary>
public static class CommandLine
{
    /// <summary>Default configuration file; EDGED_CONFIG or --config overrides it.</summary>
    public const string DefaultConfigFile = "/etc/edged/edged.json";

    /// <summary>Switch to configuration key.</summary>
    public static IReadOnlyDictionary<string, string> SwitchMappings { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["--urls"] = "urls",
        ["--store"] = "store",
        ["--token-file"] = "tokenFile",
        ["--profile"] = "profile",
        ["--cert"] = "certificateFile",
        ["--allow-plain-http"] = "allowPlainHttp",
        ["--max-model-bytes"] = "maxModelBytes",
        ["--quota-bytes"] = "quotaBytes",
        ["--max-versions-per-model"] = "maxVersionsPerModel",
        ["--max-input-bytes"] = "maxInputBytes",
        ["--power-sensor"] = "sensors:power",
        ["--marker-pin"] = "sensors:markerPin",
        ["--sensor-root"] = "sensorRoot",
        ["--config"] = "config",
    };

    /// <summary>Usage text for --help.</summary>
    public const string Usage = """
        edged: the EdgeCompress on-board daemon (model store, benchmarks, power sensors) over HTTPS.

        usage: edged [--urls URL[;URL]] [--store DIR] [--token-file FILE] [--profile ID] [--config FILE]
                     [--cert FILE] [--allow-plain-http true] [--max-model-bytes N] [--quota-bytes N] [--max-versions-per-model N]
                     [--max-input-bytes N] [--power-sensor auto|none|ina219|jetson|pi5-pmic|rapl] [--marker-pin N]
                     [--sensor-root DIR]

        --max-input-bytes N: most bytes one benchmark's generated inputs may take together (inputShapes beyond it are
        a 400 before anything runs), and the size limit of an uploaded input set (PUT /v1/inputs/SHA256, larger is a
        413) and of the outputs kept from it; default 1/16 of MemTotal in /proc/meminfo, 256 MiB where that cannot be read.

        Configuration comes from /etc/edged/edged.json (or --config / EDGED_CONFIG), then EDGED_* environment
        variables (EDGED_STORE, EDGED_SENSORS__POWER, ...), then the command line. Defaults: https://0.0.0.0:8443,
        store /var/lib/edged, token /etc/edged/token (created with a random token when missing).
        """;

    /// <summary>Checks the switches; null when fine, else the one-line problem.</summary>
    public static string? Check(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var name = arg.Split('=', 2)[0];
            if (!SwitchMappings.ContainsKey(name))
            {
                return $"unknown option '{arg}' (see edged --help)";
            }

            if (!arg.Contains('=', StringComparison.Ordinal))
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    return $"option '{name}' needs a value";
                }

                i++;
            }
        }

        return null;
    }

    /// <summary>The configuration file named by --config, EDGED_CONFIG, or the default.</summary>
    public static string ConfigFile(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--config" && i + 1 < args.Count)
            {
                return args[i + 1];
            }

            if (args[i].StartsWith("--config=", StringComparison.Ordinal))
            {
                return args[i]["--config=".Length..];
            }
        }

        return Environment.GetEnvironmentVariable("EDGED_CONFIG") is { Length: > 0 } fromEnvironment ? fromEnvironment : DefaultConfigFile;
    }
}
