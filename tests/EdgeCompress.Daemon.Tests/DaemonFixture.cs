namespace EdgeCompress.Daemon.Tests;

/// <summary>One edged shared by a test class (starting a process per test would dominate the suite's time).</summary>
public sealed class DaemonFixture : IAsyncLifetime
{
    internal EdgedProcess Edged { get; private set; } = null!;

    public async Task InitializeAsync() => Edged = await EdgedProcess.StartAsync(extra: ["--max-model-bytes", "2000000"]);

    public Task DisposeAsync()
    {
        Edged.Dispose();
        Directory.Delete(Edged.Store, recursive: true);
        return Task.CompletedTask;
    }
}
