using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace EdgeCompress.Cli.Inspect;

/// <summary>Writes the inspect report as Spectre.Console tables (plain text when NO_COLOR is set or output is
/// not a terminal).</summary>
internal static class InspectRenderer
{
    private const int MaxNotes = 10;

    public static void Write(InspectReport r, CliContext ctx)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(ctx.Out),
            Ansi = ctx.Interactive && !ctx.NoColor ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = ctx.NoColor ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = InteractionSupport.No,
        });
        if (!ctx.Interactive)
        {
            console.Profile.Width = 200;
        }

        var size = Bytes(r.FileBytes) + (r.ExternalDataBytes > 0 ? $" + {Bytes(r.ExternalDataBytes)} external data ({string.Join(", ", r.ExternalDataFiles)})" : "");
        console.WriteLine($"{r.File}");
        console.WriteLine($"  file size   {size}");
        console.WriteLine($"  ir_version  {r.IrVersion}, producer {(r.Producer.Length > 0 ? r.Producer : "(none)")}");
        console.WriteLine($"  opsets      {string.Join(", ", r.Opsets.Select(o => $"{o.Domain} {o.Version}"))}");
        console.WriteLine($"  nodes       {r.Nodes} in the main graph{(r.Subgraphs > 0 ? $", {r.Subgraphs} subgraph(s)" : "")}");
        console.WriteLine();

        var io = Table("", "name", "type", "declared shape", "shape used", "source");
        foreach (var (kind, v) in r.Inputs.Select(v => ("input", v)).Concat(r.Outputs.Select(v => ("output", v))))
        {
            Row(io, kind, v.Name, v.ElementType, v.DeclaredShape, v.UsedShape, v.ShapeSource);
        }
        console.Write(io);
        foreach (var note in r.ShapeNotes)
        {
            console.WriteLine($"note: {note}");
        }

        var ops = Table("operator", "count");
        foreach (var o in r.Operators)
        {
            Row(ops, o.Operator, N(o.Count));
        }
        console.Write(ops);

        var p = Table("parameters", "count", "bytes");
        foreach (var e in r.Parameters.ByType)
        {
            Row(p, e.ElementType, N(e.Count), Bytes(e.Bytes));
        }
        Row(p, "total", N(r.Parameters.Count), Bytes(r.Parameters.Bytes));
        console.Write(p);

        if (r.Macs.PerNode.Count > 0)
        {
            var m = Table("node", "operator", "MACs", "input shapes", "output shape");
            foreach (var n in r.Macs.PerNode)
            {
                Row(m, n.Node, n.Operator, n.Macs is { } v ? N(v) : "?", string.Join(", ", n.InputShapes.Where(s => s.Length > 0)), n.OutputShape);
            }
            console.Write(m);
        }
        console.WriteLine($"MACs total  {Macs(r.Macs)}");
        console.WriteLine();

        foreach (var note in r.InferenceNotes.Take(MaxNotes))
        {
            console.WriteLine($"shape inference: {note}");
        }
        if (r.InferenceNotes.Count > MaxNotes)
        {
            console.WriteLine($"shape inference: ... {r.InferenceNotes.Count - MaxNotes} more (see --json)");
        }
        if (r.Findings.Count == 0)
        {
            console.WriteLine("validation  no findings");
        }
        foreach (var f in r.Findings)
        {
            console.WriteLine($"{f.Severity}: {(f.Node is null ? "" : $"node '{f.Node}': ")}{f.Message}");
        }
    }

    private static string Macs(MacReport m)
    {
        if (m.Saturated)
        {
            return "more than 9.2e18 (overflowed 64 bits)";
        }
        var text = $"{N(m.Total)} ({Si(m.Total)})";
        return m.UnknownNodes > 0 ? $"{text}, not counting {m.UnknownNodes} node(s) whose shapes are unknown" : text;
    }

    private static Table Table(params string[] columns)
    {
        var t = new Table().Border(TableBorder.Simple);
        foreach (var c in columns)
        {
            t.AddColumn(new TableColumn(new Text(c)));
        }
        return t;
    }

    private static void Row(Table t, params string[] cells) => t.AddRow(cells.Select(c => (IRenderable)new Text(c)).ToArray());

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    private static string Si(long v) => v switch
    {
        >= 1_000_000_000 => (v / 1e9).ToString("F2", CultureInfo.InvariantCulture) + " G",
        >= 1_000_000 => (v / 1e6).ToString("F2", CultureInfo.InvariantCulture) + " M",
        >= 1_000 => (v / 1e3).ToString("F2", CultureInfo.InvariantCulture) + " k",
        _ => v.ToString(CultureInfo.InvariantCulture),
    };

    internal static string Bytes(long b) => b switch
    {
        >= 1L << 30 => (b / (double)(1L << 30)).ToString("F2", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (b / (double)(1L << 20)).ToString("F2", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (b / 1024.0).ToString("F1", CultureInfo.InvariantCulture) + " KiB",
        _ => b.ToString(CultureInfo.InvariantCulture) + " B",
    };
}
