using System.Diagnostics;
using System.Globalization;
using EdgeCompress.Compression.Factorization;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;

// Benchmarks for the factorization issue's speed bars, printing medians:
//   svd [SIZE] [RUNS]            exact vs fast decomposition of SIZE x SIZE matrices (default 4096, 3 runs each)
//   latency A.onnx B.onnx [RUNS] single-thread latency of two models on the same batch-1 input (default 200 runs)
//   costmodel PROFILE MODEL...   the cost model's latency estimate for PROFILE (x64-host: this kind of host) against
//                                single-thread medians measured here, per model, and the median absolute error
var invariant = CultureInfo.InvariantCulture;
if (args.Length == 0 || args[0] is not ("svd" or "latency" or "costmodel"))
{
    Console.Error.WriteLine("usage: factor-bench svd [SIZE] [RUNS] | latency BASE.onnx OTHER.onnx [RUNS] | costmodel PROFILE MODEL.onnx...");
    return 2;
}
if (args[0] == "costmodel")
{
    var profile = EdgeCompress.Profiles.ProfileStore.Default().Load(args[1]);
    var errors = new List<double>();
    Console.WriteLine($"{"model",-44} {"MACs",10} {"estimate ms",12} {"measured ms",12} {"error",8}");
    // COSTBENCH_CACHE=FILE keeps measured medians between runs (path TAB ms), so the model can be refitted offline;
    // COSTBENCH_TSV=FILE writes each model's work breakdown with its measured median, for that fit.
    var cacheFile = Environment.GetEnvironmentVariable("COSTBENCH_CACHE");
    var cache = cacheFile is not null && File.Exists(cacheFile)
        ? File.ReadAllLines(cacheFile).Select(l => l.Split('\t')).ToDictionary(p => p[0], p => double.Parse(p[1], invariant))
        : new Dictionary<string, double>();
    var tsv = Environment.GetEnvironmentVariable("COSTBENCH_TSV") is { } tsvPath ? new StreamWriter(tsvPath) : null;
    tsv?.WriteLine("model\tdense_fp32\tdw_fp32\tdense_int8\tdw_int8\tmoved_bytes\tparam_bytes\toperators\tmeasured_ms");
    foreach (var path in args.Skip(2))
    {
        var model = OnnxModel.Load(path);
        var estimate = EdgeCompress.Compression.Search.CostModelEstimator.EstimateMs(model, profile);
        var full = Path.GetFullPath(path);
        if (!cache.TryGetValue(full, out var measured))
        {
            measured = MeasureMedian(model, path, profile.Runtime.IntraOpThreads);
            cache[full] = measured;
        }
        var bd = EdgeCompress.Compression.Search.CostModelEstimator.Breakdown(model);
        tsv?.WriteLine(string.Create(invariant, $"{Path.GetFileName(path)}\t{bd.DenseFp32Macs}\t{bd.DepthwiseFp32Macs}\t{bd.DenseInt8Macs}\t{bd.DepthwiseInt8Macs}\t{bd.MovedBytes}\t{bd.ParameterBytes}\t{bd.Operators}\t{measured}"));
        var error = (estimate - measured) / measured;
        errors.Add(Math.Abs(error));
        var macs = EdgeCompress.Compression.Search.CostModelEstimator.MacsPerSample(model) ?? 0;
        Console.WriteLine(string.Create(invariant, $"{Path.GetFileName(path),-44} {macs / 1e6,9:F1}M {estimate,12:F3} {measured,12:F3} {error * 100,7:F0}%"));
    }
    tsv?.Dispose();
    if (cacheFile is not null)
    {
        File.WriteAllLines(cacheFile, cache.Select(kv => string.Create(invariant, $"{kv.Key}\t{kv.Value}")));
    }
    Console.WriteLine(string.Create(invariant, $"cost model for profile {profile.Id} against this host ({profile.Runtime.IntraOpThreads} thread(s), medians): median |error| {Median(errors) * 100:F0}% over {errors.Count} models, worst {errors.Max() * 100:F0}%"));
    return 0;
}
if (args[0] == "svd")
{
    var size = args.Length > 1 ? int.Parse(args[1], invariant) : 4096;
    var runs = args.Length > 2 ? int.Parse(args[2], invariant) : 3;
    // Exact (the former path: full SVD with vectors) against fast (values only, then randomized leading factors), on
    // a flat spectrum (the worst case) and on a trained-like decaying one; the same matrix for both paths.
    foreach (var decaying in new[] { false, true })
    {
        var kind = decaying ? "decaying spectrum" : "uniform entries";
        var medians = new Dictionary<bool, double>();
        var cpuMedians = new Dictionary<bool, double>();
        var rank = 0;
        foreach (var exact in new[] { true, false })
        {
            var seconds = new List<double>();
            var cpuSeconds = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                var matrix = SvdBenchmark.TestMatrix(size, seed: i, decaying);
                // CPU time too: on a shared host the wall clock mostly measures the neighbours.
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                rank = SvdBenchmark.Run(matrix, exact);
                seconds.Add(sw.Elapsed.TotalSeconds);
                cpuSeconds.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
                Console.Error.WriteLine(string.Create(invariant, $"{kind}, {(exact ? "exact" : "fast")} run {i + 1}: {seconds[^1]:F2} s wall, {cpuSeconds[^1]:F2} s CPU (rank for 95% energy: {rank})"));
            }
            medians[exact] = Median(seconds);
            cpuMedians[exact] = Median(cpuSeconds);
        }
        var fastHow = SvdBenchmark.FastPathIsRandomized(size, size, rank) ? "values + randomized rank-" + rank.ToString(invariant) + " factors" : "values only (rank " + rank.ToString(invariant) + " is not worth factorizing)";
        Console.WriteLine(string.Create(invariant,
            $"svd {size}x{size} {kind} via {SvdBenchmark.Backend}: exact full SVD median {medians[true]:F2} s wall ({cpuMedians[true]:F2} s CPU); fast ({fastHow}) median {medians[false]:F2} s wall ({cpuMedians[false]:F2} s CPU); speed-up {medians[true] / medians[false]:F1}x wall, {cpuMedians[true] / cpuMedians[false]:F1}x CPU over {runs} runs"));
    }
    return 0;
}
var baseModel = OnnxModel.Load(args[1]);
var otherModel = OnnxModel.Load(args[2]);
var n = args.Length > 3 ? int.Parse(args[3], invariant) : 200;
using var a = ModelRunner.Create(baseModel, Path.GetFileName(args[1]));
using var b = ModelRunner.Create(otherModel, Path.GetFileName(args[2]));
var sample = DataSpec.Parse("synthetic:1").Open(a.Inputs).First();
var (msA, msB) = Interleaved(a, b, sample, n);
Console.WriteLine(string.Create(invariant, $"{Path.GetFileName(args[1])}: median {msA:F4} ms; {Path.GetFileName(args[2])}: median {msB:F4} ms; ratio {msB / msA:F3} (1 thread, batch 1, {n} interleaved runs each)"));
return 0;

static double MeasureMedian(OnnxModel model, string path, int threads)
{
    using var runner = ModelRunner.Create(model, Path.GetFileName(path), new RunnerOptions { Threads = threads });
    var input = DataSpec.Parse("synthetic:1").Open(runner.Inputs).First();
    for (var i = 0; i < 3; i++)
    {
        runner.Run(input);
    }
    var first = Stopwatch.StartNew();
    runner.Run(input);
    var runs = (int)Math.Clamp(2000 / Math.Max(0.05, first.Elapsed.TotalMilliseconds), 5, 100);
    var times = new List<double>(runs);
    for (var i = 0; i < runs; i++)
    {
        var sw = Stopwatch.StartNew();
        runner.Run(input);
        times.Add(sw.Elapsed.TotalMilliseconds);
    }
    return Median(times);
}

// Runs alternate between the two models so that load changes on a shared host hit both alike.
static (double A, double B) Interleaved(ModelRunner a, ModelRunner b, Sample sample, int runs)
{
    for (var i = 0; i < 20; i++)
    {
        a.Run(sample);
        b.Run(sample);
    }
    var timesA = new List<double>(runs);
    var timesB = new List<double>(runs);
    for (var i = 0; i < runs; i++)
    {
        var sw = Stopwatch.StartNew();
        a.Run(sample);
        timesA.Add(sw.Elapsed.TotalMilliseconds);
        sw.Restart();
        b.Run(sample);
        timesB.Add(sw.Elapsed.TotalMilliseconds);
    }
    return (Median(timesA), Median(timesB));
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
}
