using EdgeCompress.Cli.Tests.Support;

namespace EdgeCompress.Cli.Tests;

/// <summary>Deterministically corrupted copies of real backend models: inspect must answer with a report (exit 0)
/// or one clear error line (exit 2), never an unhandled exception.</summary>
public sealed class CorruptModelFuzzTests : IDisposable
{
    private const string Root = "/usr/share/libonnx-testdata/data";
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Four_hundred_corrupted_models_each_give_a_report_or_one_error_line()
    {
        var sources = new[] { "pytorch-converted", "pytorch-operator", "simple", "node" }
            .Select(s => Path.Combine(Root, s)).Where(Directory.Exists)
            .SelectMany(Directory.EnumerateDirectories)
            .Select(d => Path.Combine(d, "model.onnx")).Where(File.Exists).Order(StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(sources);
        var random = new Random(20261126);
        var problems = new List<string>();
        int reports = 0, errors = 0;
        for (var i = 0; i < 400; i++)
        {
            var source = sources[random.Next(sources.Length)];
            var bytes = Corrupt(File.ReadAllBytes(source), random);
            var path = _temp.Write($"fuzz{i}.onnx", bytes);
            var r = await CliRunner.RunAsync("inspect", path, "--json");
            if (r.ExitCode == 0)
            {
                reports++;
            }
            else if (r.ExitCode == 2 && r.StderrLines is [var line] && line.StartsWith("edgec: ", StringComparison.Ordinal))
            {
                errors++;
            }
            else
            {
                problems.Add($"{source} (case {i}): exit {r.ExitCode}: {r.Stderr[..Math.Min(400, r.Stderr.Length)]}");
            }
            File.Delete(path);
        }
        Assert.Empty(problems);
        Assert.True(reports > 20 && errors > 20, $"{reports} reports, {errors} errors: the corruptions should produce both");
    }

    private static byte[] Corrupt(byte[] bytes, Random random)
    {
        var copy = (byte[])bytes.Clone();
        switch (random.Next(4))
        {
            case 0:
                // A few flipped bytes anywhere.
                for (var k = 0; k < 1 + random.Next(4); k++)
                {
                    copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
                }
                return copy;
            case 1:
                return copy[..random.Next(copy.Length)];
            case 2:
                // A byte set to an extreme value (lengths and varints become huge).
                copy[random.Next(copy.Length)] = 0xFF;
                return copy;
            default:
                // A chunk duplicated: repeated fields and overlapping messages.
                var start = random.Next(copy.Length);
                var length = Math.Min(random.Next(1, 64), copy.Length - start);
                return [.. copy, .. copy.AsSpan(start, length)];
        }
    }
}
