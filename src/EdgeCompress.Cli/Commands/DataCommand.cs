using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using EdgeCompress.Data;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Cli.Commands;

/// <summary>
/// `edgec data export fashion-mnist:test --out DIR [--format png|jpeg]`: Fashion-MNIST as image class folders with
/// labels.txt and preprocess.json (reads back exactly as the fashion-mnist SPEC for PNG).
/// `edgec data bench DIR [--preprocess FILE] [--batch 32]`: decode + preprocess throughput of an image folder and
/// the process's peak resident memory.
/// </summary>
internal static class DataCommand
{
    public static Command Create(CliContext ctx)
    {
        var command = new Command("data", "Export a built-in data set as an image folder, or measure how fast an image folder is read.");
        command.Subcommands.Add(Export(ctx));
        command.Subcommands.Add(Bench(ctx));
        return command;
    }

    private static Command Export(CliContext ctx)
    {
        var spec = new Argument<string>("SPEC") { Description = "fashion-mnist:train or fashion-mnist:test (add @N for the first N images)" };
        var output = new Option<string>("--out") { Description = "folder to create (must be new or empty)", Required = true };
        var format = new Option<string>("--format") { Description = "png (lossless, reads back exactly) or jpeg (quality 95)", DefaultValueFactory = _ => "png" };
        format.AcceptOnlyFromAmong("png", "jpeg");
        var command = new Command("export", "Write Fashion-MNIST as DIR/CLASS/INDEX.png with labels.txt and preprocess.json.");
        command.Arguments.Add(spec);
        command.Options.Add(output);
        command.Options.Add(format);
        command.SetAction(EdgecApp.Guarded(ctx, (parse, ct) =>
        {
            var data = DataSpec.Parse(parse.GetValue(spec)!);
            if (data.Kind != DataKind.FashionMnist)
            {
                throw new UsageException($"data export: '{data.Text}' is not fashion-mnist:train or fashion-mnist:test; only the built-in data set can be exported");
            }
            var dir = Path.GetFullPath(parse.GetValue(output)!);
            var kind = parse.GetValue(format) == "jpeg" ? ExportFormat.Jpeg : ExportFormat.Png;
            var progress = new Progress(ctx.Error);
            var counts = FashionMnistExport.Write(data.Split!, data.Count, dir, kind, progress, ct);
            var inv = CultureInfo.InvariantCulture;
            ctx.Out.WriteLine(string.Create(inv, $"wrote {counts.Sum()} {kind.ToString().ToUpperInvariant()} images of {data.Text} to {dir}"));
            for (var c = 0; c < counts.Count; c++)
            {
                ctx.Out.WriteLine(string.Create(inv, $"  {c}  {FashionMnist.FolderNames[c],-12} {counts[c],6}"));
            }
            ctx.Out.WriteLine($"  labels.txt, preprocess.json ({FashionMnistExport.Preprocess.Describe()})");
            return Task.FromResult(EdgecApp.ExitOk);
        }));
        return command;
    }

    private static Command Bench(CliContext ctx)
    {
        var dir = new Argument<string>("DIR") { Description = "image folder SPEC (add @N to read N images)" };
        var preprocess = new Option<FileInfo?>("--preprocess") { Description = "preprocess JSON (default: DIR/preprocess.json, else 224x224 rgb nchw float32)" };
        var batch = new Option<int>("--batch") { Description = "images per batch", DefaultValueFactory = _ => 32 };
        var passes = new Option<int>("--passes") { Description = "times to read the folder (the first warms the file cache)", DefaultValueFactory = _ => 2 };
        var command = new Command("bench", "Measure decode + preprocess throughput (images/s) of an image folder and the peak resident memory.");
        command.Arguments.Add(dir);
        command.Options.Add(preprocess);
        command.Options.Add(batch);
        command.Options.Add(passes);
        command.SetAction(EdgecApp.Guarded(ctx, (parse, ct) =>
        {
            if (parse.GetValue(batch) < 1 || parse.GetValue(passes) < 1)
            {
                throw new UsageException("--batch and --passes must be at least 1");
            }
            var given = parse.GetValue(preprocess) is { } file ? Preprocess.Load(file.FullName) : null;
            var spec = DataSpec.Parse(parse.GetValue(dir)!, given);
            if (spec.Kind != DataKind.ImageFolder)
            {
                throw new UsageException($"data bench: '{spec.Text}' is not an image folder");
            }
            var input = InputFor(spec.Preprocess);
            var resolved = spec.PreprocessFor([input])!;
            var inv = CultureInfo.InvariantCulture;
            ctx.Out.WriteLine(string.Create(inv, $"{spec.Text}: {resolved.Describe()} ({resolved.Source}), batch {parse.GetValue(batch)}, {Environment.ProcessorCount} cores"));
            for (var pass = 1; pass <= parse.GetValue(passes); pass++)
            {
                var watch = Stopwatch.StartNew();
                long images = 0;
                foreach (var sample in spec.Open([input], parse.GetValue(batch)))
                {
                    ct.ThrowIfCancellationRequested();
                    images += sample.Inputs[0].Dims[0];
                }
                var seconds = watch.Elapsed.TotalSeconds;
                ctx.Out.WriteLine(string.Create(inv, $"  pass {pass}: {images} images in {seconds:F2} s = {images / seconds:F0} images/s"));
            }
            ctx.Out.WriteLine($"  peak RSS {PeakRss()}");
            return Task.FromResult(EdgecApp.ExitOk);
        }));
        return command;
    }

    /// <summary>A model input the preprocessing fits: its size, channels, layout and type, with a dynamic batch.</summary>
    private static InputSpec InputFor(Preprocess? p)
    {
        var size = p?.Size ?? new ImageSize(224, 224);
        long channels = p?.Channels ?? 3;
        var type = p?.DType switch
        {
            PixelType.Float16 => TensorProto.Types.DataType.Float16,
            PixelType.Uint8 => TensorProto.Types.DataType.Uint8,
            _ => TensorProto.Types.DataType.Float,
        };
        return new InputSpec("input", type, p?.Layout == TensorLayout.Nhwc ? [-1, size.Height, size.Width, channels] : [-1, channels, size.Height, size.Width]);
    }

    /// <summary>VmHWM of /proc/self/status: the most resident memory this process has held.</summary>
    private static string PeakRss()
    {
        const string status = "/proc/self/status";
        var line = File.Exists(status) ? File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)) : null;
        if (line is null || !long.TryParse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture, out var kib))
        {
            return "unknown (no VmHWM in /proc/self/status)";
        }
        return string.Create(CultureInfo.InvariantCulture, $"{kib / 1024.0:F1} MiB (VmHWM)");
    }

    private sealed class Progress(TextWriter error) : IProgress<int>
    {
        public void Report(int value) => error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  .. {value} images"));
    }
}
