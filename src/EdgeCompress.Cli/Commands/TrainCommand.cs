using System.CommandLine;
using System.Globalization;
using EdgeCompress.Data;
using EdgeCompress.Fleet;
using EdgeCompress.Training;

namespace EdgeCompress.Cli.Commands;

/// <summary>
/// `edgec train --data SPEC --arch NAME --epochs N --out MODEL.onnx`: trains a classifier in the training worker and
/// exports it as ONNX (input "input" [N,1,28,28] pixels in [0,1], normalisation folded in, output "logits").
/// </summary>
internal static class TrainCommand
{
    public static Command Create(CliContext ctx)
    {
        var data = new Option<string>("--data") { Description = "training data SPEC", DefaultValueFactory = _ => "fashion-mnist:train" };
        var arch = new Option<string>("--arch") { Description = "vgg-s, vgg-sp (vgg-s with a pooled 3x3 head: 0.67x the parameters), resnet-s or mobilenet-v2, optionally NAME@WIDTH (e.g. mobilenet-v2@0.5)", DefaultValueFactory = _ => "vgg-s" };
        var epochs = new Option<int>("--epochs") { Description = "passes over the data", DefaultValueFactory = _ => 7 };
        var output = new Option<FileInfo>("--out") { Description = "ONNX model to write", Required = true };
        var common = TrainingFlags.Create();
        var command = new Command("train", "Train a baseline image classifier and export it as ONNX.");
        command.Options.Add(data);
        command.Options.Add(arch);
        command.Options.Add(epochs);
        command.Options.Add(output);
        common.AddTo(command);
        command.SetAction(EdgecApp.Guarded(ctx, (parse, ct) =>
        {
            var request = common.Request(parse, "train", parse.GetValue(data)!, parse.GetValue(output)!, parse.GetValue(epochs)) with
            {
                Arch = parse.GetValue(arch),
            };
            return TrainingFlags.RunAsync(ctx, request, ct);
        }));
        return command;
    }
}
