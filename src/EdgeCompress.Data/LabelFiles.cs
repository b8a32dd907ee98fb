using System.Globalization;

namespace EdgeCompress.Data;

/// <summary>
/// The two label files a data folder may hold: labels.txt (class names, one per line, in class-index order) and
/// labels.csv (<c>file,label</c> rows, header optional; the label a class index or a name from labels.txt).
/// </summary>
internal static class LabelFiles
{
    /// <summary>File name of the class-name list.</summary>
    public const string ClassNamesFile = "labels.txt";

    /// <summary>File name of the per-file labels.</summary>
    public const string CsvFile = "labels.csv";

    /// <summary>Reads labels.txt: one class name per line (trimmed); trailing empty lines are ignored, a blank line
    /// between names or a repeated name is an error naming the line.</summary>
    public static IReadOnlyList<string> ReadClassNames(string path)
    {
        var lines = ReadLines(path);
        var count = lines.Length;
        while (count > 0 && lines[count - 1].Trim().Length == 0)
        {
            count--;
        }
        var names = new List<string>(count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var name = lines[i].Trim();
            if (name.Length == 0)
            {
                throw new DataException($"{path}: line {i + 1} is empty; list one class name per line, in class-index order");
            }
            if (!seen.Add(name))
            {
                throw new DataException($"{path}: line {i + 1} repeats the class name '{name}'");
            }
            names.Add(name);
        }
        if (names.Count == 0)
        {
            throw new DataException($"{path}: lists no class names");
        }
        return names;
    }

    /// <summary>
    /// Reads labels.csv into file → class index. Rows are <c>file,label</c>, split at the last comma (so file names
    /// may hold commas), with optional double quotes; file paths are relative to the folder with '/' or '\'. A first
    /// row whose label is neither an index nor a class name is a header. Errors name the file and line.
    /// </summary>
    public static Dictionary<string, int> ReadCsv(string path, IReadOnlyList<string>? classNames)
    {
        var byName = classNames?.Select((n, i) => (n, i)).ToDictionary(x => x.n, x => x.i, StringComparer.Ordinal);
        var labels = new Dictionary<string, int>(StringComparer.Ordinal);
        var lines = ReadLines(path);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0)
            {
                continue;
            }
            var comma = line.LastIndexOf(',');
            if (comma <= 0)
            {
                throw new DataException($"{path}: line {i + 1} is not 'file,label'");
            }
            var file = Unquote(line[..comma]).Replace('\\', '/');
            var text = Unquote(line[(comma + 1)..]);
            int label;
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                if (classNames is not null && index >= classNames.Count)
                {
                    throw new DataException($"{path}: line {i + 1}: label {index} is not a class of {ClassNamesFile} (0..{classNames.Count - 1})");
                }
                label = index;
            }
            else if (byName is not null && byName.TryGetValue(text, out var named))
            {
                label = named;
            }
            else if (labels.Count == 0 && i == FirstLine(lines))
            {
                continue;
            }
            else
            {
                throw new DataException(byName is null
                    ? $"{path}: line {i + 1}: label '{text}' is not a class index (class names need a {ClassNamesFile} beside it)"
                    : $"{path}: line {i + 1}: label '{text}' is neither a class index nor a class name of {ClassNamesFile}");
            }
            if (!labels.TryAdd(file, label))
            {
                throw new DataException($"{path}: line {i + 1}: '{file}' has a label already");
            }
        }
        return labels;
    }

    private static int FirstLine(string[] lines) => Array.FindIndex(lines, l => l.Trim().Length > 0);

    private static string Unquote(string field)
    {
        var f = field.Trim();
        return f.Length >= 2 && f[0] == '"' && f[^1] == '"' ? f[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : f;
    }

    private static string[] ReadLines(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"{path}: cannot read ({e.Message})", e);
        }
    }
}
