using System.Reflection;
using EdgeCompress.Daemon.Api;
using EdgeCompress.Daemon.Benchmarks;
using EdgeCompress.Daemon.Store;
using EdgeCompress.Protocol;
using EdgeCompress.Sensors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeCompress.Daemon.Hosting;

/// <summary>Builds and runs edged: configuration, options validation, services, TLS, routes.</summary>
public static class EdgedHost
{
    /// <summary>edged's version (the assembly's informational version).</summary>
    public static string Version { get; } =
        typeof(EdgedHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>
    /// Runs the daemon until it is stopped. Returns 0 after a clean stop, 2 when configuration or start-up state is bad
    /// (one "edged: ..." line on stderr).
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(error);
        if (args is ["--help"] or ["-h"])
        {
            Console.Out.WriteLine(CommandLine.Usage);
            return 0;
        }

        if (args is ["--version"])
        {
            Console.Out.WriteLine($"edged {Version}");
            return 0;
        }

        WebApplication app;
        try
        {
            app = Build(args);
        }
        catch (Exception ex) when (ex is StartupException or OptionsValidationException or InvalidOperationException or InvalidDataException or FormatException)
        {
            await error.WriteLineAsync($"edged: {OneLine(ex)}").ConfigureAwait(false);
            return 2;
        }

        await using (app.ConfigureAwait(false))
        {
            try
            {
                await app.RunAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                // Typically the listen address is taken or not ours to bind.
                await error.WriteLineAsync($"edged: cannot listen: {OneLine(ex)}").ConfigureAwait(false);
                return 2;
            }
        }

        return 0;
    }

    /// <summary>Builds the application and prepares its state (store, token, certificate, sensors); throws on bad config.</summary>
    public static WebApplication Build(string[] args)
    {
        if (CommandLine.Check(args) is { } usageProblem)
        {
            throw new StartupException(usageProblem);
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Configuration.Sources.Clear();
        var configFile = CommandLine.ConfigFile(args);
        var explicitConfig = args.Any(a => a.StartsWith("--config", StringComparison.Ordinal)) || Environment.GetEnvironmentVariable("EDGED_CONFIG") is { Length: > 0 };
        if (explicitConfig && !File.Exists(configFile))
        {
            throw new StartupException($"configuration file {configFile} does not exist");
        }

        builder.Configuration.AddJsonFile(configFile, optional: true, reloadOnChange: false);
        builder.Configuration.AddEnvironmentVariables("EDGED_");
        builder.Configuration.AddCommandLine(args, CommandLine.SwitchMappings.ToDictionary());

        builder.Services.AddSingleton<IValidateOptions<EdgedOptions>, EdgedOptionsValidator>();
        builder.Services.AddOptions<EdgedOptions>().Bind(builder.Configuration).ValidateOnStart();
        builder.Services.AddSystemd();

        // AddSystemd registers the notifier only under systemd; the watchdog service asks for it either way.
        builder.Services.TryAddSingleton<ISystemdNotifier, SystemdNotifier>();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = null;
        });

        // Per-request framework chatter would drown the journal on a board; edged logs what matters itself.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        // A failed start is reported once, as an "edged: ..." line, by RunAsync; not as a logged stack trace too.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
        builder.Services.AddSingleton<Metrics>();
        builder.Services.AddSingleton<ModelStore>();
        builder.Services.AddSingleton<ResultsStore>();
        builder.Services.AddSingleton<SensorHub>();
        builder.Services.AddSingleton<ModelInputs>();
        builder.Services.AddSingleton<InputBudget>();
        builder.Services.AddSingleton<InputSetStore>();
        builder.Services.AddSingleton<BenchmarkScheduler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<BenchmarkScheduler>());
        builder.Services.AddHostedService<SystemdWatchdog>();

        // Resolve and validate options now, so a bad value stops edged before anything is created on disk.
        var options = new EdgedOptions();
        builder.Configuration.Bind(options);
        var validation = new EdgedOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new StartupException(string.Join("; ", validation.Failures));
        }

        var token = TokenFile.LoadOrCreate(options.TokenFile);
        builder.Services.AddSingleton(token);
        TlsCertificate? tls = null;
        if (ListenAddresses.AnyHttps(options.Urls))
        {
            tls = TlsCertificate.LoadOrCreate(options.ResolvedCertificateFile);
            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.Services.Configure<KestrelServerOptions>(k => k.ConfigureHttpsDefaults(h => h.ServerCertificate = tls.Certificate));
        }

        builder.WebHost.UseUrls(ListenAddresses.Split(options.Urls).ToArray());
        var app = builder.Build();
        Prepare(app, options, token, tls);
        return app;
    }

    private static void Prepare(WebApplication app, EdgedOptions options, TokenFile token, TlsCertificate? tls)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("edged");
        _ = app.Services.GetRequiredService<IOptions<EdgedOptions>>().Value;
        var store = app.Services.GetRequiredService<ModelStore>();
        store.Open();
        var sensors = app.Services.GetRequiredService<SensorHub>();
        sensors.Discover();
        _ = app.Services.GetRequiredService<InputBudget>(); // settles and logs the limit at start, not on the first request
        app.Services.GetRequiredService<BenchmarkScheduler>().Restore();
        if (token.Created)
        {
            Log.TokenCreated(logger, options.TokenFile);
        }

        if (tls is not null)
        {
            Log.TlsFingerprint(logger, options.ResolvedCertificateFile, tls.FingerprintDisplay, tls.Created ? " (generated now)" : "");
        }

        // Built on first request: describing ONNX Runtime loads its 30 MB library, which would cost start time and idle memory.
        var device = new Lazy<DeviceInfo>(() =>
        {
            var info = DeviceProbe.Describe(new SensorPaths(options.SensorRoot), options.Profile, Version);
            info.Sensors = sensors.Found;
            info.MarkerPin = options.Sensors.MarkerPin;
            info.TlsFingerprintSha256 = tls?.FingerprintDisplay;
            return info;
        });

        app.UseMiddleware<GuardMiddleware>();
        SystemEndpoints.Map(app, device, DateTimeOffset.UtcNow);
        ModelEndpoints.Map(app);
        BenchmarkEndpoints.Map(app);
        InputEndpoints.Map(app);

        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        lifetime.ApplicationStarted.Register(() =>
        {
            Log.Started(logger, Version, string.Join(";", app.Urls), options.Store, options.Profile ?? "(none)");

            // Re-hash stored models off the start path: start-to-ready stays fast, a corrupted file is still caught.
            _ = Task.Run(() => store.VerifyAsync(lifetime.ApplicationStopping));
        });
    }

    private static string OneLine(Exception ex)
    {
        var message = ex is OptionsValidationException validation ? string.Join("; ", validation.Failures) : ex.Message;
        return message.ReplaceLineEndings(" ").Trim();
    }
}
