namespace EdgeCompress.Protocol;

/// <summary>Names shared by edged and its clients: API version, routes, headers, job states.</summary>
public static class ApiContract
{
    /// <summary>The API version; every route but /metrics lives under it.</summary>
    public const string Version = "v1";

    /// <summary>Header carrying the hex SHA-256 of an uploaded model body.</summary>
    public const string ContentSha256Header = "X-Content-SHA256";

    /// <summary>Header naming the store version a model upload created.</summary>
    public const string ModelVersionHeader = "X-Model-Version";

    /// <summary>Default TCP port of edged (HTTPS).</summary>
    public const int DefaultPort = 8443;

    /// <summary>Model names: a letter or digit, then letters, digits, dot, dash, underscore; at most 64 characters.</summary>
    public const string ModelNamePattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$";

    /// <summary>True for a SHA-256 as the API names input sets by it: 64 lower-case hex digits.</summary>
    public static bool IsSha256(string? text) => text is { Length: 64 } && text.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}

/// <summary>States of a benchmark job as reported by <c>GET /v1/benchmarks/{id}</c>.</summary>
public static class BenchmarkStates
{
    /// <summary>Waiting behind another benchmark.</summary>
    public const string Queued = "queued";

    /// <summary>Running now.</summary>
    public const string Running = "running";

    /// <summary>Finished with a result.</summary>
    public const string Completed = "completed";

    /// <summary>Ended without a result; <c>error</c> says why.</summary>
    public const string Failed = "failed";

    /// <summary>True for completed or failed.</summary>
    public static bool IsFinal(string state) => state is Completed or Failed;
}
