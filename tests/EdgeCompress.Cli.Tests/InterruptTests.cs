using System.Diagnostics;
using System.Globalization;

namespace EdgeCompress.Cli.Tests;

/// <summary>Ctrl-C (SIGINT) on a long command: it stops within seconds, says so, exits 130 and stores nothing.</summary>
[Trait("Category", "process")]
public sealed class InterruptTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("edgec-interrupt-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Sigint_during_a_benchmark_exits_130_with_one_line_and_stores_no_result()
    {
        var model = FleetModels.WriteMlp(_root, "long.onnx", width: 256, layers: 3, seed: 5);
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "edgec.dll"), "bench", model, "--device", "local", "--duration", "120" })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["EDGEC_DATA_DIR"] = Path.Combine(_root, "data");
        start.Environment["EDGEC_CONFIG_DIR"] = Path.Combine(_root, "config");
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var measuring = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lines = new List<string>();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not { } line)
            {
                return;
            }

            lock (lines)
            {
                lines.Add(line);
            }

            if (line.Contains("local: measure", StringComparison.Ordinal))
            {
                measuring.TrySetResult();
            }
        };
        process.BeginErrorReadLine();
        var stdout = process.StandardOutput.ReadToEndAsync();
        await measuring.Task.WaitAsync(TimeSpan.FromSeconds(60));

        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        var clock = Stopwatch.StartNew();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(limit.Token);
        process.WaitForExit();
        var stopped = clock.Elapsed;

        Assert.Equal(130, process.ExitCode);
        Assert.True(stopped < TimeSpan.FromSeconds(10), $"took {stopped.TotalSeconds:0.0} s to stop");
        lock (lines)
        {
            Assert.Equal("edgec: interrupted", lines[^1]);
            Assert.DoesNotContain(lines, l => l.Contains("   at ", StringComparison.Ordinal));
        }

        Assert.DoesNotContain("benchmarked", await stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_root, "data", "bench-results.db")), "an interrupted benchmark stored a result");
    }
}
