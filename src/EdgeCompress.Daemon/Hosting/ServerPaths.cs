using System.Text;

namespace EdgeCompress.Daemon.Hosting;

/// <summary>
/// Keeps the daemon's own filesystem layout out of what clients see. ONNX Runtime and .NET name the file they failed
/// on ("Load model from /var/lib/edged/tmp/m.1f2e.part failed", "Could not find file '...'"); answers replace any
/// path under the store with the model's name, while the log keeps the full text.
/// </summary>
public static class ServerPaths
{
    /// <summary>
    /// <paramref name="text"/> with every path that starts with <paramref name="directory"/> (up to the next space,
    /// quote or punctuation that cannot end a store path) replaced by <paramref name="replacement"/>.
    /// </summary>
    public static string Hide(string text, string directory, string replacement)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var root = Path.TrimEndingDirectorySeparator(directory);
        var found = text.IndexOf(root, StringComparison.Ordinal);
        if (found < 0)
        {
            return text;
        }

        var hidden = new StringBuilder(text.Length);
        var at = 0;
        while (found >= 0)
        {
            hidden.Append(text, at, found - at).Append(replacement);
            at = found + root.Length;
            while (at < text.Length && !EndsPath(text[at]))
            {
                at++;
            }

            found = text.IndexOf(root, at, StringComparison.Ordinal);
        }

        return hidden.Append(text, at, text.Length - at).ToString();
    }

    // Store paths are built from model names ([A-Za-z0-9._-]), hex and the store directory itself.
    private static bool EndsPath(char c) => char.IsWhiteSpace(c) || c is '\'' or '"' or '`' or ':' or ',' or ';' or ')' or ']' or '>';
}
