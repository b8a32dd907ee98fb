using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Execution;

/// <summary>
/// What edgec records in a model it writes (ONNX metadata_props), so later commands reuse it without retyping: the
/// preprocessing the data went through, and the metric that judged the model.
/// </summary>
public static class ModelMetadata
{
    /// <summary>Key of the metric command that judged the model.</summary>
    public const string MetricKey = "edgec.metric_command";

    /// <summary>The preprocessing stored in a model by an earlier edgec run, or null. A stored value that no longer
    /// parses is an input error naming the model.</summary>
    public static Preprocess? PreprocessOf(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var entry = model.Proto.MetadataProps.FirstOrDefault(p => p.Key == Preprocess.MetadataKey);
        return entry is null ? null : Preprocess.FromJson(entry.Value, $"{Label(model)} metadata '{Preprocess.MetadataKey}'");
    }

    /// <summary>Records, in <paramref name="output"/>, the preprocessing <paramref name="data"/> gives a model with
    /// <paramref name="inputs"/> (image folders only) and the metric command, replacing older values.</summary>
    public static void Record(OnnxModel output, DataSpec? data, IReadOnlyList<InputSpec> inputs, string? metricCommand = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(inputs);
        Record(output, data?.PreprocessFor(inputs)?.ToJson(), metricCommand);
    }

    /// <summary>Records preprocess JSON already resolved (and the metric command), replacing older values.</summary>
    public static void Record(OnnxModel output, string? preprocessJson, string? metricCommand = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (preprocessJson is not null)
        {
            Set(output, Preprocess.MetadataKey, preprocessJson);
        }
        if (metricCommand is not null)
        {
            Set(output, MetricKey, metricCommand);
        }
    }

    private static void Set(OnnxModel model, string key, string value)
    {
        var props = model.Proto.MetadataProps;
        for (var i = props.Count - 1; i >= 0; i--)
        {
            if (props[i].Key == key)
            {
                props.RemoveAt(i);
            }
        }
        props.Add(new StringStringEntryProto { Key = key, Value = value });
    }

    private static string Label(OnnxModel model) => model.SourcePath is { } p ? Path.GetFileName(p) : "the model";
}
