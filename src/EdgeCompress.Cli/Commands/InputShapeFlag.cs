using System.CommandLine;
using EdgeCompress.Cli.Inspect;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Onnx;

namespace EdgeCompress.Cli.Commands;

/// <summary>
/// `--input-shape NAME=DIMS` (repeatable), on every verb that runs a model: fixes dynamic axes for the work and
/// keeps them dynamic in the model written (see <see cref="InputShapeOverride"/>).
/// </summary>
internal sealed class InputShapeFlag
{
    public Option<string[]> Option { get; } = new("--input-shape")
    {
        Description = "size a dynamic input axis for the work, e.g. audio=1x16000 (repeatable; the model written keeps it dynamic)",
        AllowMultipleArgumentsPerToken = false,
    };

    public void AddTo(Command command) => command.Options.Add(Option);

    /// <summary>The shapes given, parsed; a usage error names a malformed one.</summary>
    public IReadOnlyDictionary<string, long[]> Shapes(ParseResult parse) => InspectReportBuilder.ParseInputShapes(parse.GetValue(Option) ?? []);

    /// <summary>Loads a model and fixes the given axes; a shape that does not fit the model is an input error naming both.</summary>
    public (OnnxModel Model, InputShapeOverride Override) Load(ParseResult parse, string path)
    {
        var model = OnnxModel.Load(path);
        return (model, InputShapeOverride.Apply(model, Shapes(parse)));
    }
}
