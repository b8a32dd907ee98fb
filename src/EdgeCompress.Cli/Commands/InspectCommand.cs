using System.CommandLine;
using System.Text.Json;
using EdgeCompress.Cli.Inspect;
using EdgeCompress.Onnx;

namespace EdgeCompress.Cli.Commands;

/// <summary>`edgec inspect MODEL [--json] [--input-shape NAME=DIMS ...]`: opsets, producer, inputs/outputs,
/// operator histogram, parameters by type, MACs per node and in total, file size and validation findings.</summary>
internal static class InspectCommand
{
    public static Command Create(CliContext ctx)
    {
        var model = new Argument<FileInfo>("MODEL") { Description = "ONNX model file" };
        var json = new Option<bool>("--json") { Description = "print one machine-readable JSON document" };
        var inputShape = new Option<string[]>("--input-shape")
        {
            Description = "fix an input's shape for shape inference and MACs, e.g. input=1x3x224x224 (repeatable)",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("inspect", "Show a model's inputs, outputs, operators, parameters, MACs and validation findings.");
        command.Arguments.Add(model);
        command.Options.Add(json);
        command.Options.Add(inputShape);
        command.SetAction(EdgecApp.Guarded(ctx, async (parse, ct) =>
        {
            var shapes = InspectReportBuilder.ParseInputShapes(parse.GetValue(inputShape) ?? []);
            var path = parse.GetValue(model)!.FullName;
            var loaded = OnnxModel.Load(path);
            var report = InspectReportBuilder.Build(loaded, path, shapes);
            if (parse.GetValue(json))
            {
                await ctx.Out.WriteLineAsync(JsonSerializer.Serialize(report, InspectJsonContext.Default.InspectReport).AsMemory(), ct).ConfigureAwait(false);
            }
            else
            {
                InspectRenderer.Write(report, ctx);
            }
            return EdgecApp.ExitOk;
        }));
        return command;
    }
}
