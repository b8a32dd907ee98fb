using static TorchSharp.torch;

namespace EdgeCompress.Training.Worker;

/// <summary>Process-wide libtorch settings for one job.</summary>
internal static class TorchRuntime
{
    public static void Configure(int threads, int seed)
    {
        if (threads > 0)
        {
            set_num_threads(threads);
        }
        // Inter-op parallelism only adds contention for these small sequential graphs.
        set_num_interop_threads(1);
        manual_seed(seed);
    }
}
