using System.Diagnostics;
using System.Globalization;
using EdgeCompress.Protocol;

namespace EdgeCompress.DaemonBench;

/// <summary>
/// edged's p50 against a bare ONNX Runtime loop in a separate process, same model, threads and iterations,
/// alternating round by round so drift in machine load hits both sides alike.
/// </summary>
internal static class Overhead
{
    public static async Task<int> RunAsync(Options options)
    {
        var edged = options.Require("edged");
        var threads = options.Int("threads", 1);
        var iterations = options.Int("iterations", 2000);
        var rounds = options.Int("rounds", 5);
        var modelFile = options.Get("model");
        if (modelFile is null)
        {
            modelFile = Path.Combine(Path.GetTempPath(), "edged-bench-mlp.onnx");
            await File.WriteAllBytesAsync(modelFile, BenchModels.Mlp(batch: 16, width: 512, layers: 4));
        }

        var (daemon, _) = await DaemonUnderTest.StartAsync(edged, options.Int("port", 18432));
        using (daemon)
        {
            await daemon.PushAsync("overhead", await File.ReadAllBytesAsync(modelFile));
            var bare = new List<double>();
            var served = new List<double>();
            for (var round = 0; round < rounds; round++)
            {
                bare.Add(RunBare(modelFile, threads, iterations));
                var status = await daemon.BenchmarkAsync(new BenchmarkRequest { Model = "overhead", Threads = threads, Iterations = iterations, Warmup = 20, Power = false });
                if (status.Result is null)
                {
                    throw new InvalidOperationException($"edged benchmark failed: {status.Error}");
                }

                served.Add(status.Result.P50Ms);
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round + 1}/{rounds}: bare p50 {bare[^1]:0.0000} ms, edged p50 {served[^1]:0.0000} ms"));
            }

            var ratio = Stats.Median(served) / Stats.Median(bare);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"model {Path.GetFileName(modelFile)}, threads {threads}, iterations {iterations}, rounds {rounds}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bare ORT loop p50  median {Stats.Median(bare):0.0000} ms  ({string.Join(", ", bare.Select(v => v.ToString("0.0000", CultureInfo.InvariantCulture)))})"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"edged p50          median {Stats.Median(served):0.0000} ms  ({string.Join(", ", served.Select(v => v.ToString("0.0000", CultureInfo.InvariantCulture)))})"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"edged / bare       {ratio:0.000}  ({(ratio - 1) * 100:+0.0;-0.0}%)   bar: within 3%"));
        }

        return 0;
    }

    private static double RunBare(string model, int threads, int iterations)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (self.EndsWith("dotnet", StringComparison.Ordinal))
        {
            start.ArgumentList.Add(typeof(Overhead).Assembly.Location);
        }

        foreach (var arg in new[] { "bare", "--model", model, "--threads", threads.ToString(CultureInfo.InvariantCulture), "--iterations", iterations.ToString(CultureInfo.InvariantCulture), "--warmup", "20" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return double.Parse(output.Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
