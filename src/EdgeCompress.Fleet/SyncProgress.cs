namespace EdgeCompress.Fleet;

/// <summary>
/// Reports on the caller's thread, at once. Progress&lt;T&gt; posts to the thread pool instead, so a report could land
/// after the command returned and its output writer was closed (seen: a test host crash in a fleet bench).
/// </summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    /// <inheritdoc/>
    public void Report(T value) => report(value);
}
