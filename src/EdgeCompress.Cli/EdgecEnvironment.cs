using EdgeCompress.Compression.Quantization;
using EdgeCompress.Fleet;
using EdgeCompress.Profiles;

namespace EdgeCompress.Cli;

/// <summary>
/// What edgec takes from the machine it runs on, read once at start and handed to every verb (instead of each reading
/// environment variables, folders and CPU flags itself): where the registry and results live, where profiles are
/// looked up, and what this host's int8 kernels need. Tests give their own.
/// </summary>
/// <param name="Paths">Registry and results database folders.</param>
/// <param name="Profiles">The device-profile store, in its documented lookup order.</param>
/// <param name="Int8Kernels">This host's int8 facts (reduce-range, preferred activation type).</param>
public sealed record EdgecEnvironment(FleetPaths Paths, ProfileStore Profiles, Int8Host Int8Kernels)
{
    /// <summary>This process's environment.</summary>
    public static EdgecEnvironment FromProcess() => new(FleetPaths.FromEnvironment(), ProfileStore.FromEnvironment(), HostInt8.This);
}
