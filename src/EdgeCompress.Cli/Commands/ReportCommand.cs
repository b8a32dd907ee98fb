using System.CommandLine;
using EdgeCompress.Manifest;
using EdgeCompress.Reporting;

namespace EdgeCompress.Cli.Commands;

/// <summary>`edgec report DIR|manifest.json --out report.html`: a self-contained HTML report with plots.</summary>
internal static class ReportCommand
{
    public static Command Create(CliContext ctx)
    {
        var input = new Argument<string>("DIR") { Description = "an optimize output folder (holding manifest.json) or a manifest.json file" };
        var output = new Option<string>("--out") { Description = "HTML file to write", Required = true };
        var command = new Command("report", "Write a self-contained HTML report (Pareto plots, latency distribution, energy, sensitivity, variants table).");
        command.Arguments.Add(input);
        command.Options.Add(output);
        command.SetAction(EdgecApp.Guarded(ctx, (parse, _) =>
        {
            var source = parse.GetValue(input)!;
            var manifestPath = Directory.Exists(source) ? Path.Combine(source, ManifestFile.FileName) : source;
            if (!File.Exists(manifestPath))
            {
                throw new UsageException(Directory.Exists(source)
                    ? $"{source}: no {ManifestFile.FileName} in this folder (is it an `edgec optimize` output?)"
                    : $"{source}: not found");
            }
            OptimizeManifest manifest;
            try
            {
                manifest = ManifestFile.Load(manifestPath);
            }
            catch (InvalidDataException e)
            {
                throw new UsageException(e.Message, e);
            }
            if (manifest.Variants.Count == 0)
            {
                throw new UsageException($"{manifestPath}: lists no variants; nothing to report");
            }
            var outPath = Path.GetFullPath(parse.GetValue(output)!);
            Directory.CreateDirectory(Path.GetDirectoryName(outPath)!);
            HtmlReport.Write(manifest, outPath);
            ctx.Out.WriteLine($"wrote {outPath} ({manifest.Variants.Count} variants, chosen: {manifest.Chosen ?? "none"})");
            return Task.FromResult(EdgecApp.ExitOk);
        }));
        return command;
    }
}
