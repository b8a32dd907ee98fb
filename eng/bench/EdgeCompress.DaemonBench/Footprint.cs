using System.Globalization;

namespace EdgeCompress.DaemonBench;

/// <summary>Binary size (without libonnxruntime), start-to-ready and idle RSS of edged.</summary>
internal static class Footprint
{
    public static async Task<int> RunAsync(Options options)
    {
        var edged = options.Require("edged");
        var runs = options.Int("runs", 10);
        var port = options.Int("port", 18431);
        var size = new FileInfo(edged).Length;
        var readyMs = new List<double>();
        var idleRss = new List<double>();
        var cpuMs = new List<double>();
        var waitMs = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var (daemon, ready) = await DaemonUnderTest.StartAsync(edged, port);
            using (daemon)
            {
                readyMs.Add(ready.TotalMilliseconds);
                var (onCpu, waiting) = daemon.SchedulerTimes();
                cpuMs.Add(onCpu.TotalMilliseconds);
                waitMs.Add(waiting.TotalMilliseconds);
                await Task.Delay(2000); // idle: started, nothing asked of it
                idleRss.Add(daemon.RssBytes() / 1048576.0);
            }

            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run {i + 1}/{runs}: ready {ready.TotalMilliseconds:0.0} ms (on CPU {cpuMs[^1]:0.0} ms, waiting for a CPU {waitMs[^1]:0.0} ms), idle RSS {idleRss[^1]:0.0} MiB"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"binary          {size / 1048576.0:0.00} MiB ({size} bytes, libonnxruntime not included)   bar <= 20 MB"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"start-to-ready  median {Stats.Median(readyMs):0.0} ms, min {readyMs.Min():0.0}, max {readyMs.Max():0.0} over {runs} starts   bar <= 150 ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  of which       on CPU (all threads, until ready) median {Stats.Median(cpuMs):0.0} ms; waiting for a CPU median {Stats.Median(waitMs):0.0} ms (machine load)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"load average    {File.ReadAllText("/proc/loadavg").Trim()} on {Environment.ProcessorCount} CPUs"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"idle RSS        median {Stats.Median(idleRss):0.0} MiB, max {idleRss.Max():0.0}   bar <= 40 MB"));
        return 0;
    }
}
