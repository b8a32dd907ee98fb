using System.CommandLine;
using EdgeCompress.Onnx;

namespace EdgeCompress.Cli.Commands;

/// <summary>`edgec inspect MODEL [--json]`: what a model holds. (Foundation issue completes the report.)</summary>
internal static class InspectCommand
{
    public static Command Create(CliContext ctx)
    {
        var model = new Argument<FileInfo>("MODEL") { Description = "ONNX model file" };
        var json = new Option<bool>("--json") { Description = "print one machine-readable JSON document" };
        var command = new Command("inspect", "Show a model's inputs, outputs, operators, parameters and MACs.");
        command.Arguments.Add(model);
        command.Options.Add(json);
        command.SetAction(EdgecApp.Guarded(ctx, (parse, _) =>
        {
            var m = OnnxModel.Load(parse.GetValue(model)!.FullName);
            ctx.Out.WriteLine($"ir_version {m.Proto.IrVersion}, opset {m.OpsetVersion()}, {m.Proto.Graph.Node.Count} nodes");
            return Task.FromResult(EdgecApp.ExitOk);
        }));
        return command;
    }
}
