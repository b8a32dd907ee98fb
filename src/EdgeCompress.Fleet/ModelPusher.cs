using EdgeCompress.Protocol;

namespace EdgeCompress.Fleet;

/// <summary>What a push did on one device.</summary>
/// <param name="Name">Store name on the device.</param>
/// <param name="Version">The stored version holding the model's bytes.</param>
/// <param name="Uploaded">False when the device already had these bytes (nothing was sent).</param>
/// <param name="Attempts">Upload attempts made (0 when nothing was sent).</param>
public sealed record PushOutcome(string Name, ModelVersionInfo Version, bool Uploaded, int Attempts);

/// <summary>How an upload whose connection dropped is retried.</summary>
public sealed record UploadRetry
{
    /// <summary>Four attempts, the first retry after 0.5 s, on the system clock.</summary>
    public static UploadRetry Default { get; } = new();

    /// <summary>Upload attempts before giving up.</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>Wait before the first retry; doubled for each further one.</summary>
    public TimeSpan FirstBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The clock the waits run on.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// Puts a model on a device: skips the upload when the device already stores the same bytes (by SHA-256), and
/// retries an upload whose connection dropped, a bounded number of times with exponential back-off. The daemon
/// writes uploads to a temp file and renames only a complete, checksummed one, so a retried upload never leaves
/// half a model behind.
/// </summary>
public static class ModelPusher
{
    /// <summary>Uploads <paramref name="model"/> as <paramref name="name"/> unless that name's newest version has the same bytes
    /// (<paramref name="retry"/> null: <see cref="UploadRetry.Default"/>).</summary>
    public static async Task<PushOutcome> PushAsync(EdgedClient client, ModelFile model, string name, IProgress<long>? sent, Action<string>? notice, UploadRetry? retry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(model);
        if (await client.ModelAsync(name, cancellationToken).ConfigureAwait(false) is { Versions.Count: > 0 } stored && stored.Versions[^1].Sha256 == model.Sha256)
        {
            return new PushOutcome(name, stored.Versions[^1], Uploaded: false, Attempts: 0);
        }

        return await UploadWithRetriesAsync(client, model, name, sent, notice, retry ?? UploadRetry.Default, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Finds a stored version with the model's SHA-256 under any name (preferring <paramref name="name"/>), or uploads it.
    /// Used by bench, which only needs the bytes on the device.
    /// </summary>
    public static async Task<PushOutcome> EnsureAsync(EdgedClient client, ModelFile model, string name, IProgress<long>? sent, Action<string>? notice, UploadRetry? retry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(model);
        var list = await client.ModelsAsync(cancellationToken).ConfigureAwait(false);
        var match = list.Models
            .SelectMany(m => m.Versions)
            .Where(v => v.Sha256 == model.Sha256)
            .OrderByDescending(v => v.Name == name)
            .ThenByDescending(v => v.Version)
            .FirstOrDefault();
        return match is not null
            ? new PushOutcome(match.Name, match, Uploaded: false, Attempts: 0)
            : await UploadWithRetriesAsync(client, model, name, sent, notice, retry ?? UploadRetry.Default, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<PushOutcome> UploadWithRetriesAsync(EdgedClient client, ModelFile model, string name, IProgress<long>? sent, Action<string>? notice, UploadRetry retry, CancellationToken cancellationToken)
    {
        var backoff = retry.FirstBackoff;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var (version, _) = await client.UploadAsync(model.UploadPath, name, model.Sha256, sent, cancellationToken).ConfigureAwait(false);
                return new PushOutcome(name, version, Uploaded: true, Attempts: attempt);
            }
            catch (FleetException ex) when (ex.Problem == FleetProblem.Unreachable && attempt < retry.MaxAttempts)
            {
                notice?.Invoke($"{client.Device.Name}: upload attempt {attempt} of {retry.MaxAttempts} failed ({ex.Message}); retrying in {backoff.TotalSeconds:0.#} s");
                await Task.Delay(backoff, retry.Time, cancellationToken).ConfigureAwait(false);
                backoff *= 2;
            }
        }
    }
}
