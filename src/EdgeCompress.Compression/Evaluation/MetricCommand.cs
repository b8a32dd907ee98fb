using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EdgeCompress.Data;

namespace EdgeCompress.Compression.Evaluation;

/// <summary>
/// The user's own evaluator, run as a command: <c>--metric-command "python3 eval_map.py {model} {data}"</c>. The
/// command gets the model file and the data spec substituted (shell-quoted), runs under /bin/sh, and must print a
/// JSON number (mAP, WER, IoU...) as the last line of its standard output; a JSON object with one numeric member is
/// read the same way. Why a command and not a plug-in: the metric then needs no code inside the tool and can be
/// written in anything (Olive, NNCF and INC each need a Python function).
/// </summary>
public sealed class MetricCommand
{
    private readonly Dictionary<string, double> _known = new(StringComparer.Ordinal);

    /// <summary>Creates a metric from the command template; <paramref name="higherIsBetter"/> says which way is better.</summary>
    public MetricCommand(string template, bool higherIsBetter = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(template);
        if (!template.Contains("{model}", StringComparison.Ordinal))
        {
            throw new DataException($"--metric-command '{template}': has no {{model}} placeholder for the model file to evaluate");
        }
        Template = template;
        HigherIsBetter = higherIsBetter;
    }

    /// <summary>The command as given, with {model} and {data} placeholders.</summary>
    public string Template { get; }

    /// <summary>True when a larger value is better (accuracy, mAP); false for error rates (WER).</summary>
    public bool HigherIsBetter { get; }

    /// <summary>A short name for reports: the command's first word.</summary>
    public string Name => "metric (" + Path.GetFileName(Template.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]) + ")";

    /// <summary>How much worse <paramref name="candidate"/> is than <paramref name="reference"/>, in the metric's units (positive = worse).</summary>
    public double Drop(double reference, double candidate) => HigherIsBetter ? reference - candidate : candidate - reference;

    /// <summary>
    /// Runs the command on a model file and returns its number. Results are remembered per file content stamp
    /// (path, length, write time), so the original is evaluated once per process. Throws <see cref="DataException"/>
    /// naming the command when it fails, prints no number, or is cancelled.
    /// </summary>
    public double Evaluate(string modelPath, string? dataSpec, CancellationToken cancellationToken = default)
    {
        var info = new FileInfo(modelPath);
        var key = string.Create(CultureInfo.InvariantCulture, $"{info.FullName}|{info.Length}|{info.LastWriteTimeUtc.Ticks}|{dataSpec}");
        if (_known.TryGetValue(key, out var cached))
        {
            return cached;
        }
        var command = Template.Replace("{model}", Quote(info.FullName), StringComparison.Ordinal)
            .Replace("{data}", Quote(dataSpec ?? ""), StringComparison.Ordinal);
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using var process = Process.Start(start) ?? throw new DataException($"--metric-command: could not start /bin/sh for '{Template}'");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            process.WaitForExitAsync(cancellationToken).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var output = stdout.GetAwaiter().GetResult();
        if (process.ExitCode != 0)
        {
            var why = LastLine(stderr.GetAwaiter().GetResult()) ?? LastLine(output) ?? "no output";
            throw new DataException($"--metric-command exited {process.ExitCode} on {info.Name}: {why}");
        }
        var value = Parse(LastLine(output))
            ?? throw new DataException($"--metric-command printed no JSON number on {info.Name} (last line: '{LastLine(output) ?? ""}')");
        _known[key] = value;
        return value;
    }

    /// <summary>A JSON number, or an object with exactly one numeric member; null for anything else.</summary>
    public static double? Parse(string? line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Number)
            {
                return Finite(root.GetDouble());
            }
            if (root.ValueKind == JsonValueKind.Object)
            {
                var numbers = root.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Number).ToList();
                return numbers.Count == 1 ? Finite(numbers[0].Value.GetDouble()) : null;
            }
            return null;
        }
        catch (JsonException)
        {
            return null;
        }

        static double? Finite(double v) => double.IsFinite(v) ? v : null;
    }

    private static string? LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
