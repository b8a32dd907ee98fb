using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeCompress.Onnx;
using EdgeCompress.Training.Worker.Graph;

namespace EdgeCompress.Training.Worker;

/// <summary>Where a job stopped: enough to resume the same schedule and shuffle order exactly.</summary>
/// <remarks>Features: the run's --feature pairs joined by ';' (null without), since adapters and optimizer state follow them.</remarks>
internal sealed record CheckpointState(string Command, int Epoch, int StepInEpoch, int GlobalStep, int Seed, int Epochs, int BatchSize, long Samples, string? Features = null);

[JsonSerializable(typeof(CheckpointState))]
internal sealed partial class CheckpointJson : JsonSerializerContext;

/// <summary>
/// A checkpoint folder: model.onnx (the graph with current weights and BatchNorm statistics, itself a valid model),
/// momentum.bin (the optimizer's momentum buffers), state.json, and adapters.bin when feature distillation trains adapters. Written into a temporary folder and renamed, so a crash or
/// Ctrl-C mid-write leaves the previous checkpoint intact.
/// </summary>
internal static class Checkpoint
{
    public static void Save(string dir, GraphModule model, NesterovSgd optimizer, CheckpointState state, TorchSharp.torch.nn.Module? adapters = null)
    {
        var tmp = dir + ".tmp";
        if (Directory.Exists(tmp))
        {
            Directory.Delete(tmp, recursive: true);
        }
        Directory.CreateDirectory(tmp);
        new OnnxModel(ModelExport.Export(model)).Save(Path.Combine(tmp, "model.onnx"));
        optimizer.Save(Path.Combine(tmp, MomentumFile));
        adapters?.save(Path.Combine(tmp, AdaptersFile));
        File.WriteAllText(Path.Combine(tmp, "state.json"), JsonSerializer.Serialize(state, CheckpointJson.Default.CheckpointState));
        var old = dir + ".old";
        if (Directory.Exists(old))
        {
            Directory.Delete(old, recursive: true);
        }
        if (Directory.Exists(dir))
        {
            Directory.Move(dir, old);
        }
        Directory.Move(tmp, dir);
        if (Directory.Exists(old))
        {
            Directory.Delete(old, recursive: true);
        }
    }

    public static bool Exists(string dir) => File.Exists(Path.Combine(dir, "state.json")) && File.Exists(Path.Combine(dir, "model.onnx"));

    public static CheckpointState ReadState(string dir)
    {
        var path = Path.Combine(dir, "state.json");
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), CheckpointJson.Default.CheckpointState)
                ?? throw new TrainingInputException($"{path}: empty checkpoint state");
        }
        catch (JsonException e)
        {
            throw new TrainingInputException($"{path}: unreadable checkpoint state ({e.Message})", e);
        }
    }

    public static string ModelPath(string dir) => Path.Combine(dir, "model.onnx");

    public static void LoadOptimizer(string dir, NesterovSgd optimizer) => optimizer.Load(Path.Combine(dir, MomentumFile));

    /// <summary>Restores feature-distillation adapters, when the checkpoint has them (a run without --feature has none).</summary>
    public static void LoadAdapters(string dir, TorchSharp.torch.nn.Module? adapters)
    {
        var path = Path.Combine(dir, AdaptersFile);
        if (adapters is not null && File.Exists(path))
        {
            adapters.load(path);
        }
    }

    private const string AdaptersFile = "adapters.bin";
    private const string MomentumFile = "momentum.bin";

    public static void Delete(string dir)
    {
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
