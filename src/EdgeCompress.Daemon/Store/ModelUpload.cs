using System.Buffers;
using System.Security.Cryptography;
using EdgeCompress.Daemon.Hosting;
using EdgeCompress.Protocol;
using EdgeCompress.Runtime;
using Microsoft.AspNetCore.Http;

namespace EdgeCompress.Daemon.Store;

/// <summary>How an upload ended; each maps to one HTTP status.</summary>
public enum UploadOutcome
{
    /// <summary>A new version was stored (201).</summary>
    Created,

    /// <summary>The newest version already has these bytes (200).</summary>
    Unchanged,

    /// <summary>Name, header or body is wrong (400).</summary>
    Invalid,

    /// <summary>Larger than maxModelBytes (413).</summary>
    TooLarge,

    /// <summary>Quota or disk full (507).</summary>
    InsufficientStorage,

    /// <summary>The client stopped sending the body (connection reset or closed mid-body); nothing was stored.</summary>
    Aborted,
}

/// <summary>Result of <see cref="ModelStore.UploadAsync"/>.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Detail">Why, for anything but success.</param>
/// <param name="Version">The stored (or unchanged) version.</param>
public sealed record UploadResult(UploadOutcome Outcome, string? Detail, ModelVersionInfo? Version);

public sealed partial class ModelStore
{
    private static readonly SemaphoreSlim Validations = new(Math.Max(1, Environment.ProcessorCount));

    /// <summary>
    /// Streams <paramref name="body"/> to a temp file while hashing it, checks size, quota, the required
    /// X-Content-SHA256 value and that ONNX Runtime accepts the model, then renames it into place atomically.
    /// The temp file is removed on every path that does not commit.
    /// </summary>
    public async Task<UploadResult> UploadAsync(string name, Stream body, long? contentLength, string? expectedSha256, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (!IsValidName(name))
        {
            return Reject(name, UploadOutcome.Invalid, $"model name '{name}' is not allowed: use letters, digits, '.', '-', '_' (at most 64, no '..', no '/')");
        }

        // Required, not optional: without it a body cut short by a proxy or a flaky link would be stored as long as
        // ONNX Runtime happened to accept what arrived.
        if (string.IsNullOrWhiteSpace(expectedSha256))
        {
            return Reject(name, UploadOutcome.Invalid, $"{ApiContract.ContentSha256Header} is required: send the body's SHA-256 as 64 hex digits (sha256sum MODEL)");
        }

        var expected = expectedSha256.Trim().ToLowerInvariant();
        if (expected.Length != 64 || !expected.All(Uri.IsHexDigit))
        {
            return Reject(name, UploadOutcome.Invalid, $"{ApiContract.ContentSha256Header} must be 64 hex digits, got '{expectedSha256}'");
        }

        if (contentLength > _options.MaxModelBytes)
        {
            return Reject(name, UploadOutcome.TooLarge, $"model is {contentLength} bytes; the limit is {_options.MaxModelBytes} bytes (maxModelBytes)");
        }

        if (contentLength is { } announced && UsedBytes() + announced > _options.QuotaBytes)
        {
            return Reject(name, UploadOutcome.InsufficientStorage, $"storing {announced} bytes would exceed the store quota ({UsedBytes()} of {_options.QuotaBytes} bytes used)");
        }

        var temp = Path.Combine(TempDirectory, $"{name}.{Guid.NewGuid():N}.part");
        try
        {
            var (size, sha, problem) = await ReceiveAsync(name, body, temp, cancellationToken).ConfigureAwait(false);
            if (problem is not null)
            {
                return problem;
            }

            if (contentLength is { } declared && declared != size)
            {
                return Reject(name, UploadOutcome.Invalid, $"body ended after {size} of {declared} bytes (truncated upload)");
            }

            if (expected != sha)
            {
                return Reject(name, UploadOutcome.Invalid, $"{ApiContract.ContentSha256Header} is {expected} but the body hashes to {sha}");
            }

            if (FreeBytes() is { } free && free < size)
            {
                return Reject(name, UploadOutcome.InsufficientStorage, $"the disk holding the model store has {free} bytes free, the model needs {size}");
            }

            await Validations.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (!ModelCheck.TryValidate(temp, name, out var error))
                {
                    return Reject(name, UploadOutcome.Invalid, $"not a model ONNX Runtime can load: {error}");
                }
            }
            finally
            {
                Validations.Release();
            }

            return Commit(name, temp, size, sha);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private async Task<(long Size, string Sha, UploadResult? Problem)> ReceiveAsync(string name, Stream body, string temp, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(81920);
        long size = 0;
        try
        {
            await using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
            while (true)
            {
                var (read, aborted) = await ReadBodyAsync(body, buffer, cancellationToken).ConfigureAwait(false);
                if (aborted is not null)
                {
                    // An ordinary event on a flaky link, not a fault of edged: one line, no stack trace, nothing kept.
                    Log.UploadAborted(_logger, name, size, aborted);
                    return (size, "", new UploadResult(UploadOutcome.Aborted, $"upload of '{name}' aborted by the client after {size} bytes", null));
                }

                if (read == 0)
                {
                    break;
                }

                size += read;
                if (size > _options.MaxModelBytes)
                {
                    return (size, "", Reject(name, UploadOutcome.TooLarge, $"model is larger than the limit of {_options.MaxModelBytes} bytes (maxModelBytes)"));
                }

                hash.AppendData(buffer, 0, read);
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }

            // On disk before it can become visible: a power cut after the rename must not leave an empty model.
            file.Flush(flushToDisk: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return (size, Convert.ToHexStringLower(hash.GetHashAndReset()), null);
    }

    /// <summary>
    /// Reads the request body; <c>Aborted</c> says how when the client stopped sending (Kestrel's
    /// ConnectionResetException, a body that ends mid-chunk, the request being aborted). Kestrel's own 413 for a body
    /// past its size limit is not an abort and propagates.
    /// </summary>
    private static async ValueTask<(int Read, string? Aborted)> ReadBodyAsync(Stream body, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            return (await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false), null);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode != StatusCodes.Status413PayloadTooLarge)
        {
            return (0, ex.Message);
        }
        catch (IOException ex) when (ex is not BadHttpRequestException)
        {
            return (0, ex.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return (0, "request aborted");
        }
    }

    private UploadResult Commit(string name, string temp, long size, string sha)
    {
        lock (_gate)
        {
            _models.TryGetValue(name, out var versions);
            if (versions is { Count: > 0 } && versions[^1].Sha256 == sha)
            {
                return new UploadResult(UploadOutcome.Unchanged, null, versions[^1]);
            }

            var used = _models.Values.SelectMany(v => v).Sum(v => v.SizeBytes);
            if (used + size > _options.QuotaBytes)
            {
                return Reject(name, UploadOutcome.InsufficientStorage, $"storing {size} bytes would exceed the store quota ({used} of {_options.QuotaBytes} bytes used)");
            }

            var info = new ModelVersionInfo
            {
                Name = name,
                Version = versions is { Count: > 0 } ? versions[^1].Version + 1 : 1,
                Sha256 = sha,
                SizeBytes = size,
                CreatedUtc = DateTimeOffset.UtcNow,
            };
            var folder = Path.Combine(ModelsDirectory, name);
            var newFolder = !Directory.Exists(folder);
            Directory.CreateDirectory(folder);
            File.Move(temp, PathOf(info));
            // The rename, and a new model's folder, must reach the disk before the 201 does.
            DirectorySync.Flush(folder);
            if (newFolder)
            {
                DirectorySync.Flush(ModelsDirectory);
            }

            if (versions is null)
            {
                versions = [];
                _models[name] = versions;
            }

            versions.Add(info);
            // Prune the oldest versions beyond the limit, never the one just stored and never one a queued benchmark has pinned.
            var excess = versions.Count - _options.MaxVersionsPerModel;
            foreach (var old in versions.SkipLast(1).Where(v => !_pins.ContainsKey((v.Name, v.Version))).Take(Math.Max(0, excess)).ToList())
            {
                File.Delete(PathOf(old));
                versions.Remove(old);
            }

            Log.ModelStored(_logger, name, info.Version, size, sha);
            return new UploadResult(UploadOutcome.Created, null, info);
        }
    }

    /// <summary>Re-hashes every stored file and quarantines any that no longer match the checksum in its name.</summary>
    public async Task<int> VerifyAsync(CancellationToken cancellationToken)
    {
        var quarantined = 0;
        foreach (var model in List())
        {
            foreach (var version in model.Versions)
            {
                var path = PathOf(version);
                string actual;
                try
                {
                    await using var stream = File.OpenRead(path);
                    actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
                }
                catch (FileNotFoundException)
                {
                    continue; // deleted meanwhile
                }

                if (actual != version.Sha256)
                {
                    Directory.CreateDirectory(QuarantineDirectory);
                    lock (_gate)
                    {
                        File.Move(path, Path.Combine(QuarantineDirectory, $"{version.Name}-{Path.GetFileName(path)}"), overwrite: true);
                        if (_models.TryGetValue(version.Name, out var versions) && versions.Remove(version) && versions.Count == 0)
                        {
                            _models.Remove(version.Name);
                        }
                    }

                    Log.ModelQuarantined(_logger, path);
                    quarantined++;
                }
            }
        }

        return quarantined;
    }

    private long? FreeBytes()
    {
        try
        {
            return new DriveInfo(_options.Store).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Logs the full reason; the answer names the model where the reason named a file in the store.</summary>
    private UploadResult Reject(string name, UploadOutcome outcome, string detail)
    {
        Log.ModelRejected(_logger, name, detail);
        return new UploadResult(outcome, ServerPaths.Hide(detail, Root, name), null);
    }
}
