namespace EdgeCompress.Fleet;

/// <summary>One run as stored: its id in the database and the record.</summary>
public sealed record StoredRun(long Id, BenchRecord Record);

/// <summary>What the first use of a database imported from the legacy JSON-lines file.</summary>
/// <param name="Path">The JSON-lines file.</param>
/// <param name="Records">Records imported.</param>
/// <param name="Skipped">Unreadable lines (a torn last line after a crash).</param>
/// <param name="KeptAs">Where the file was renamed to.</param>
public sealed record LegacyImport(string Path, int Records, int Skipped, string? KeptAs = null);

/// <summary>Which runs to read; every filter is optional and they combine with AND.</summary>
public sealed record ResultsQuery
{
    /// <summary>A device name.</summary>
    public string? Device { get; init; }

    /// <summary>A store name, a model file name or path, or a SHA-256 prefix (8+ hex digits).</summary>
    public string? Model { get; init; }

    /// <summary>An exact model SHA-256.</summary>
    public string? ModelSha256 { get; init; }

    /// <summary>Runs at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Only these run ids.</summary>
    public IReadOnlyList<long>? Ids { get; init; }

    /// <summary>Only the newest N of the selection.</summary>
    public int? Last { get; init; }
}
