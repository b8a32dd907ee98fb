using System.Collections.Concurrent;
using System.Security.Cryptography;
using EdgeCompress.Daemon.Benchmarks;
using EdgeCompress.Protocol;

namespace EdgeCompress.Daemon.Store;

/// <summary>How an input-set upload ended.</summary>
public enum InputSetOutcome
{
    /// <summary>Stored now (201).</summary>
    Created,

    /// <summary>Already stored (200).</summary>
    Unchanged,

    /// <summary>Larger than the limit (413).</summary>
    TooLarge,

    /// <summary>Checksum or format wrong (400).</summary>
    Invalid,
}

/// <summary>
/// Input sets (<c>PUT /v1/inputs/{sha256}</c>) and the outputs benchmarks computed from them, under the store root:
/// inputs/SHA.ects and outputs/JOB.ects. An upload streams to a temporary file while its SHA-256 is computed, must
/// match the name it was sent under, must parse as a tensor set, and may hold at most as many bytes as one benchmark's
/// inputs may (<see cref="InputBudget.MaxBytes"/>), since all its samples are loaded for the run. The newest
/// <see cref="KeptSets"/> sets and <see cref="KeptOutputs"/> output files are kept; older ones are deleted.
/// </summary>
public sealed class InputSetStore
{
    /// <summary>Input sets kept on the device.</summary>
    public const int KeptSets = 16;

    /// <summary>Benchmark output files kept on the device.</summary>
    public const int KeptOutputs = 64;

    private readonly ConcurrentDictionary<string, InputSetInfo> _known = new(StringComparer.Ordinal);
    private readonly Lock _writing = new();
    private readonly string _inputs;
    private readonly string _outputs;
    private readonly string _temp;

    /// <summary>Uses the model store's root and the per-benchmark input limit.</summary>
    public InputSetStore(ModelStore models, InputBudget budget)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(budget);
        _inputs = Path.Combine(models.Root, "inputs");
        _outputs = Path.Combine(models.Root, "outputs");
        _temp = models.TempDirectory;
        MaxBytes = budget.MaxBytes;
    }

    /// <summary>Most bytes one input set may take.</summary>
    public long MaxBytes { get; }

    /// <summary>The stored set's description, or null when it is not here.</summary>
    public InputSetInfo? Find(string sha256)
    {
        if (!ApiContract.IsSha256(sha256))
        {
            return null;
        }

        if (_known.TryGetValue(sha256, out var info) && File.Exists(PathOf(sha256)))
        {
            return info;
        }

        try
        {
            var samples = Load(sha256);
            return samples is null ? null : _known[sha256] = Describe(sha256, new FileInfo(PathOf(sha256)).Length, samples);
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>The samples of a stored set, or null when it is not here; <see cref="InvalidDataException"/> when the file is damaged.</summary>
    public List<IReadOnlyList<WireTensor>>? Load(string sha256)
    {
        if (!ApiContract.IsSha256(sha256))
        {
            return null;
        }

        try
        {
            using var file = File.OpenRead(PathOf(sha256));
            return TensorSet.Read(file, MaxBytes);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Streams an upload into the store; see the class summary for the checks.</summary>
    public async Task<(InputSetOutcome Outcome, InputSetInfo? Info, string? Detail)> UploadAsync(string sha256, Stream body, long? contentLength, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (!ApiContract.IsSha256(sha256))
        {
            return (InputSetOutcome.Invalid, null, $"'{sha256}' is not a SHA-256: send the set to /v1/inputs/ followed by the 64 lower-case hex digits of its SHA-256");
        }

        if (contentLength > MaxBytes)
        {
            return (InputSetOutcome.TooLarge, null, $"input set is {contentLength} bytes; this device takes at most {MaxBytes} bytes (maxInputBytes)");
        }

        if (Find(sha256) is { } existing)
        {
            return (InputSetOutcome.Unchanged, existing, null);
        }

        Directory.CreateDirectory(_temp);
        var temp = Path.Combine(_temp, $"inputs-{Guid.NewGuid():N}.part");
        try
        {
            long size = 0;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    size += read;
                    if (size > MaxBytes)
                    {
                        return (InputSetOutcome.TooLarge, null, $"input set is larger than this device's limit of {MaxBytes} bytes (maxInputBytes)");
                    }

                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
            }

            var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (actual != sha256)
            {
                return (InputSetOutcome.Invalid, null, $"the body's SHA-256 is {actual}, not {sha256} as sent: the set was damaged on the way; send it again");
            }

            List<IReadOnlyList<WireTensor>> samples;
            try
            {
                using var check = File.OpenRead(temp);
                samples = TensorSet.Read(check, MaxBytes);
            }
            catch (InvalidDataException ex)
            {
                return (InputSetOutcome.Invalid, null, $"not a valid input set: {ex.Message}");
            }

            var info = Describe(sha256, size, samples);
            lock (_writing)
            {
                Directory.CreateDirectory(_inputs);
                File.Move(temp, PathOf(sha256), overwrite: true);
                File.SetLastWriteTimeUtc(PathOf(sha256), DateTime.UtcNow);
                _known[sha256] = info;
                Trim(_inputs, "*.ects", KeptSets);
            }

            return (InputSetOutcome.Created, info, null);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Marks a set as used now, so trimming keeps the sets in use.</summary>
    public void Touch(string sha256)
    {
        if (ApiContract.IsSha256(sha256) && File.Exists(PathOf(sha256)))
        {
            File.SetLastWriteTimeUtc(PathOf(sha256), DateTime.UtcNow);
        }
    }

    /// <summary>Writes a benchmark's outputs (atomically) and returns their size.</summary>
    public long SaveOutputs(string jobId, IReadOnlyList<IReadOnlyList<WireTensor>> outputs)
    {
        Directory.CreateDirectory(_outputs);
        var path = OutputsPath(jobId);
        var temp = path + ".part";
        using (var file = File.Create(temp))
        {
            TensorSet.Write(file, outputs);
        }

        lock (_writing)
        {
            File.Move(temp, path, overwrite: true);
            Trim(_outputs, "*.ects", KeptOutputs);
        }

        return new FileInfo(path).Length;
    }

    /// <summary>Where a job's outputs are (the file may not exist).</summary>
    public string OutputsPath(string jobId) => Path.Combine(_outputs, $"{jobId}.ects");

    private string PathOf(string sha256) => Path.Combine(_inputs, $"{sha256}.ects");

    private static InputSetInfo Describe(string sha256, long bytes, List<IReadOnlyList<WireTensor>> samples) => new()
    {
        Sha256 = sha256,
        Bytes = bytes,
        Samples = samples.Count,
        Tensors = samples[0].Select(t => $"{t.Name}: {t.Describe()}").ToArray(),
    };

    private static void Trim(string directory, string pattern, int keep)
    {
        foreach (var old in new DirectoryInfo(directory).GetFiles(pattern).OrderByDescending(f => f.LastWriteTimeUtc).Skip(keep))
        {
            try
            {
                old.Delete();
            }
            catch (IOException)
            {
                // In use or gone already: the next trim tries again.
            }
        }
    }

}
