using System.Collections.Concurrent;
using EdgeCompress.Protocol;
using EdgeCompress.Runtime;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeCompress.Daemon.Benchmarks;

/// <summary>One model input as ONNX Runtime reports it: dimensions below 1 are symbolic.</summary>
/// <param name="Name">Input name.</param>
/// <param name="IsTensor">False for sequences and maps, which the benchmark cannot generate.</param>
/// <param name="ElementType">Element type of a tensor input.</param>
/// <param name="Dimensions">Declared dimensions.</param>
public sealed record ModelInput(string Name, bool IsTensor, TensorElementType ElementType, int[] Dimensions);

/// <summary>
/// The inputs of stored model versions, read once per version (name, version, checksum) and kept, so a benchmark
/// request can be sized before it is queued. Reading builds a throw-away session with optimisations off, one at a
/// time, the way the store validates uploads.
/// </summary>
public sealed class ModelInputs
{
    private readonly ConcurrentDictionary<(string Name, int Version, string Sha256), IReadOnlyList<ModelInput>> _known = new();
    private readonly Lock _reading = new();

    /// <summary>The inputs of <paramref name="version"/>, stored at <paramref name="path"/>; throws <see cref="ModelRunException"/>
    /// when ONNX Runtime cannot load the file.</summary>
    public IReadOnlyList<ModelInput> Read(ModelVersionInfo version, string path)
    {
        ArgumentNullException.ThrowIfNull(version);
        var key = (version.Name, version.Version, version.Sha256);
        if (_known.TryGetValue(key, out var inputs))
        {
            return inputs;
        }

        lock (_reading)
        {
            return _known.TryGetValue(key, out inputs) ? inputs : _known[key] = Load(version.Name, path);
        }
    }

    private static ModelInput[] Load(string model, string path)
    {
        using var session = OrtSessions.Open(path, SessionSettings.Inspect, model);
        return session.InputMetadata
            .Select(i => new ModelInput(i.Key, i.Value.IsTensor, i.Value.IsTensor ? i.Value.ElementDataType : default, i.Value.Dimensions ?? []))
            .ToArray();
    }
}
