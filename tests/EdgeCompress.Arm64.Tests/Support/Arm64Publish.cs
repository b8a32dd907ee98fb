using System.Diagnostics;

namespace EdgeCompress.Arm64.Tests.Support;

/// <summary>Everything that needs the linux-arm64 publish shares one: a NativeAOT cross-compile takes minutes.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class Arm64PublishGroup : ICollectionFixture<Arm64Publish>
{
    public const string Name = "linux-arm64 publish";
}

/// <summary>
/// One `dotnet publish src/EdgeCompress.Daemon -c Release -r linux-arm64 -p:EdgedTarball=true`, exactly what a user
/// types (the cross-compile settings come from eng/Publish.targets, none are passed here), run lazily by the first
/// test that asks for it, with its log, exit code and time kept for every test.
/// </summary>
public sealed class Arm64Publish : IDisposable
{
    private readonly Lazy<Result> _result;

    public Arm64Publish() => _result = new Lazy<Result>(Run, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The toolchain pieces this machine lacks (empty when it can cross-compile).</summary>
    public IReadOnlyList<string> Missing { get; } = Toolchain.MissingForCrossPublish();

    public string Root { get; } = Directory.CreateTempSubdirectory("edged-arm64-").FullName;

    public string PublishDir => Path.Combine(Root, "publish");

    public string Tarball => Path.Combine(Root, "edged-0.1.0-linux-arm64.tar.gz");

    public string Binary => Path.Combine(PublishDir, "edged");

    /// <summary>Publishes once (skips or fails the caller when the toolchain is missing) and returns the outcome.</summary>
    public Result Get()
    {
        Toolchain.Require(Missing, "cross-compiling edged for linux-arm64");
        return _result.Value;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);

    private Result Run()
    {
        var watch = Stopwatch.StartNew();
        var (exitCode, log) = Processes.Run("dotnet",
            ["publish", Path.Combine(Processes.RepositoryRoot(), "src/EdgeCompress.Daemon/EdgeCompress.Daemon.csproj"), "-c", "Release",
             "-r", "linux-arm64", "-o", PublishDir, "-p:EdgedTarball=true", "-nologo", "--disable-build-servers", "-nodeReuse:false"],
            TimeSpan.FromMinutes(25));
        return new Result(exitCode, log, watch.Elapsed);
    }

    public sealed record Result(int ExitCode, string Log, TimeSpan Elapsed);
}
