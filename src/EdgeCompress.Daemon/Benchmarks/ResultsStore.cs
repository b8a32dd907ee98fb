using System.Text.Json;
using EdgeCompress.Daemon.Hosting;
using EdgeCompress.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeCompress.Daemon.Benchmarks;

/// <summary>
/// Benchmark records in an append-only JSON-lines file (Store/results.jsonl): one line per state change, the last
/// line for an id wins. Appends are flushed to disk; a line torn by a crash is skipped on load. On open the file is
/// compacted to one line per job by writing a new file and renaming it over the old one.
/// </summary>
public sealed class ResultsStore : IDisposable
{
    private readonly string _path;
    private readonly ILogger<ResultsStore> _logger;
    private readonly Lock _gate = new();
    private FileStream? _stream;

    /// <summary>Creates the store; call <see cref="Open"/> to load it.</summary>
    public ResultsStore(IOptions<EdgedOptions> options, ILogger<ResultsStore> logger)
    {
        _path = Path.Combine(options.Value.Store, "results.jsonl");
        _logger = logger;
    }

    /// <summary>The file's path.</summary>
    public string FilePath => _path;

    /// <summary>Loads every job's latest record (in file order) and opens the file for appending.</summary>
    public IReadOnlyList<BenchmarkStatus> Open()
    {
        var latest = new Dictionary<string, BenchmarkStatus>(StringComparer.Ordinal);
        var order = new List<string>();
        var lines = 0;
        if (File.Exists(_path))
        {
            var number = 0;
            foreach (var line in File.ReadLines(_path))
            {
                number++;
                lines++;
                if (line.Length == 0)
                {
                    continue;
                }

                BenchmarkStatus? record = null;
                try
                {
                    record = JsonSerializer.Deserialize(line, ProtocolJsonContext.Default.BenchmarkStatus);
                }
                catch (JsonException)
                {
                    Log.ResultLineSkipped(_logger, _path, number);
                }

                if (record is { Id.Length: > 0 })
                {
                    if (!latest.ContainsKey(record.Id))
                    {
                        order.Add(record.Id);
                    }

                    latest[record.Id] = record;
                }
            }
        }

        var records = order.Select(id => latest[id]).ToList();
        if (lines > records.Count)
        {
            // Superseded or damaged lines: rewrite so the file (and the next start) stays proportional to the jobs.
            Compact(records);
        }

        _stream = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read);
        return records;
    }

    /// <summary>Appends one record and flushes it to disk.</summary>
    public void Append(BenchmarkStatus status)
    {
        var line = JsonSerializer.SerializeToUtf8Bytes(status, ProtocolJsonContext.Default.BenchmarkStatus);
        lock (_gate)
        {
            if (_stream is null)
            {
                throw new InvalidOperationException("results store is not open");
            }

            _stream.Write(line);
            _stream.WriteByte((byte)'\n');
            _stream.Flush(flushToDisk: true);
        }
    }

    /// <summary>
    /// The latest record of a job no longer held in memory (the scheduler keeps only the newest ones), read back from
    /// the file; null when the id was never stored. A linear scan: it only runs for ids that missed the memory cache.
    /// </summary>
    public BenchmarkStatus? FindArchived(string id)
    {
        if (id.Length == 0 || !File.Exists(_path))
        {
            return null;
        }

        var quotedId = JsonSerializer.Serialize(id, ProtocolJsonContext.Default.String);
        BenchmarkStatus? found = null;
        using var reader = new StreamReader(new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
        while (reader.ReadLine() is { } line)
        {
            if (!line.Contains(quotedId, StringComparison.Ordinal))
            {
                continue;
            }

            try
            {
                if (JsonSerializer.Deserialize(line, ProtocolJsonContext.Default.BenchmarkStatus) is { } record && record.Id == id)
                {
                    found = record;
                }
            }
            catch (JsonException)
            {
                // A torn line is skipped here exactly as on load.
            }
        }

        return found;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _stream?.Dispose();
            _stream = null;
        }
    }

    private void Compact(List<BenchmarkStatus> records)
    {
        var temp = _path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            foreach (var record in records)
            {
                stream.Write(JsonSerializer.SerializeToUtf8Bytes(record, ProtocolJsonContext.Default.BenchmarkStatus));
                stream.Write("\n"u8);
            }

            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, _path, overwrite: true);
        Store.DirectorySync.Flush(Path.GetDirectoryName(Path.GetFullPath(_path))!);
    }
}
