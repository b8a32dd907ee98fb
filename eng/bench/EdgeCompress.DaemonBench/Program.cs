using EdgeCompress.DaemonBench;

// Usage (see README): footprint | overhead | soak | bare. Figures go to stdout, progress to stderr.
return args.FirstOrDefault() switch
{
    "footprint" => await Footprint.RunAsync(Options.Parse(args[1..])),
    "overhead" => await Overhead.RunAsync(Options.Parse(args[1..])),
    "soak" => await Soak.RunAsync(Options.Parse(args[1..])),
    "bare" => BareLoop.Run(Options.Parse(args[1..])),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage: daemon-bench footprint --edged PATH [--runs 10]
               daemon-bench overhead  --edged PATH [--model FILE] [--threads 1] [--iterations 2000] [--rounds 5]
               daemon-bench soak      --edged PATH [--clients 20] [--seconds 60]
               daemon-bench bare      --model FILE [--threads 1] [--iterations 2000] [--warmup 20]
        PATH is a published edged binary (NativeAOT) or edged.dll.
        """);
    return 2;
}
