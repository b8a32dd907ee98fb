
namespace EdgeCompress.Fleet.Tests;

public sealed class TlsDaemonFixture : IAsyncLifetime
{
    internal LiveEdged Edged { get; private set; } = null!;

    public async Task InitializeAsync() => Edged = await LiveEdged.StartAsync(https: true);

    public Task DisposeAsync()
    {
        Edged.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class TlsPinningTests(TlsDaemonFixture daemon) : IClassFixture<TlsDaemonFixture>
{
    [Fact]
    public async Task First_contact_sees_the_fingerprint_the_daemon_reports_and_a_pinned_one_is_accepted()
    {
        string presented;
        using (var first = new EdgedClient(daemon.Edged.Entry("tls-board")))
        {
            var info = await first.DeviceAsync(CancellationToken.None);
            presented = first.PresentedFingerprint!;
            Assert.Equal(info.TlsFingerprintSha256, presented);
        }

        using var pinned = new EdgedClient(daemon.Edged.Entry("tls-board", presented));
        Assert.Equal("ok", (await pinned.HealthAsync(CancellationToken.None)).Status);
    }

    [Fact]
    public async Task A_changed_certificate_is_refused_with_a_warning_naming_device_and_both_fingerprints()
    {
        var wrong = DeviceEntry.DisplayFingerprint(new string('A', 64));
        using var client = new EdgedClient(daemon.Edged.Entry("tls-board", wrong));

        var error = await Assert.ThrowsAsync<FleetException>(() => client.DeviceAsync(CancellationToken.None));

        Assert.Equal(FleetProblem.FingerprintMismatch, error.Problem);
        Assert.StartsWith("WARNING: the TLS certificate of device 'tls-board'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"pinned SHA-256 {wrong}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"presented {client.PresentedFingerprint}", error.Message, StringComparison.Ordinal);
        Assert.NotEqual(wrong, client.PresentedFingerprint);
        Assert.DoesNotContain('\n', error.Message);
    }
}
