using System.CommandLine;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;

namespace EdgeCompress.Cli.Commands;

/// <summary>
/// `--preprocess FILE.json`, on every verb that reads image folders: how images become tensors. Without it, the
/// preprocessing an earlier edgec run stored in the model is used, then the folder's preprocess.json, then defaults
/// from the model input.
/// </summary>
internal sealed class PreprocessFlag
{
    public Option<FileInfo?> Option { get; } = new("--preprocess")
    {
        Description = "image preprocessing JSON: size, resize (stretch|shorter-side-then-center-crop|letterbox|keep-aspect-pad), scale, mean, std, color, layout, dtype",
    };

    public void AddTo(Command command) => command.Options.Add(Option);

    /// <summary>The preprocessing to parse data specs with: the file given, else the model's stored one, else null.</summary>
    public Preprocess? Resolve(ParseResult parse, OnnxModel? model)
    {
        if (parse.GetValue(Option) is { } file)
        {
            return Preprocess.Load(file.FullName);
        }
        return model is null ? null : ModelMetadata.PreprocessOf(model);
    }

    /// <summary>Prints, once per image-folder spec, how its images become tensors for this model (nothing for other kinds).</summary>
    public static void Describe(CliContext ctx, IReadOnlyList<InputSpec> inputs, params DataSpec?[] specs)
    {
        foreach (var spec in specs.OfType<DataSpec>().DistinctBy(s => s.Text))
        {
            if (spec.PreprocessFor(inputs) is { } p)
            {
                ctx.Out.WriteLine($"images of {spec.Text}: {p.Describe()}");
            }
        }
    }

    /// <summary>Parses a spec with the resolved preprocessing (null text: null).</summary>
    public static DataSpec? Spec(string? text, Preprocess? preprocess) => text is null ? null : DataSpec.Parse(text, preprocess);
}
