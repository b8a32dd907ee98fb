using EdgeCompress.Cli;

namespace EdgeCompress.Cli.Tests;

/// <summary>The devices/push/bench tests change EDGEC_CONFIG_DIR and EDGEC_DATA_DIR, which are process-wide: they run
/// one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FleetCliGroup : ICollectionFixture<TwoDaemonsFixture>
{
    public const string Name = "edgec fleet verbs";
}

/// <summary>Runs edgec in process against a private config and data folder, the way a user's shell would.</summary>
internal sealed class FleetCliHarness : IDisposable
{
    private readonly string? _noColorBefore = Environment.GetEnvironmentVariable("NO_COLOR");

    public FleetCliHarness()
    {
        Root = Directory.CreateTempSubdirectory("edgec-fleet-cli-").FullName;
        Environment.SetEnvironmentVariable("EDGEC_CONFIG_DIR", Path.Combine(Root, "config"));
        Environment.SetEnvironmentVariable("EDGEC_DATA_DIR", Path.Combine(Root, "data"));
        Environment.SetEnvironmentVariable("NO_COLOR", "1");
    }

    public string Root { get; }

    public string RegistryFile => Path.Combine(Root, "config", "devices.json");

    public string ResultsFile => Path.Combine(Root, "data", "bench-results.db");

    public static async Task<(int Exit, string Out, string Error)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await EdgecApp.RunAsync(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("EDGEC_CONFIG_DIR", null);
        Environment.SetEnvironmentVariable("EDGEC_DATA_DIR", null);
        Environment.SetEnvironmentVariable("NO_COLOR", _noColorBefore);
        Directory.Delete(Root, recursive: true);
    }
}
