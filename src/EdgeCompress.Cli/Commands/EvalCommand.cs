using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Runtime;

namespace EdgeCompress.Cli.Commands;

/// <summary>`edgec eval MODEL --data SPEC [--baseline MODEL] [--json]`: accuracy, fidelity and host latency.
/// With --bench it is the host latency benchmark: repeated single-sample runs, model and baseline interleaved,
/// medians and their ratio.</summary>
internal static class EvalCommand
{
    public static Command Create(CliContext ctx)
    {
        var model = new Argument<FileInfo>("MODEL") { Description = "ONNX model to evaluate" };
        var data = new Option<string>("--data") { Description = "data SPEC: fashion-mnist:test, a test_data_set folder, synthetic:N (add @N to limit samples)", Required = true };
        var baseline = new Option<FileInfo?>("--baseline") { Description = "reference model: fidelity, accuracy and latency side by side" };
        var json = new Option<bool>("--json") { Description = "print one JSON document" };
        var threads = new Option<int>("--threads") { Description = "intra-op threads for timing (1 = single thread)", DefaultValueFactory = _ => 1 };
        var runs = new Option<int?>("--runs") { Description = "timed single-sample runs (default 30; 200 with --bench; 0 skips timing)" };
        var bench = new Option<bool>("--bench") { Description = "latency benchmark only: skip accuracy, time --runs runs interleaved with the baseline" };
        var batch = new Option<int>("--batch") { Description = "rows per batch for the accuracy pass", DefaultValueFactory = _ => 64 };
        var shapeFlag = new InputShapeFlag();
        var preprocessFlag = new PreprocessFlag();
        var command = new Command("eval", "Measure accuracy (top-1/top-5), fidelity against a baseline, and latency on this host.");
        command.Arguments.Add(model);
        foreach (var o in new Option[] { data, baseline, json, threads, runs, bench, batch })
        {
            command.Options.Add(o);
        }
        shapeFlag.AddTo(command);
        preprocessFlag.AddTo(command);
        command.SetAction(EdgecApp.Guarded(ctx, (parse, ct) =>
        {
            var threadCount = parse.GetValue(threads);
            var runCount = parse.GetValue(runs) ?? (parse.GetValue(bench) ? 200 : 30);
            if (threadCount < 1 || runCount < 0 || parse.GetValue(batch) < 1)
            {
                throw new UsageException("--threads and --batch must be at least 1, --runs at least 0");
            }
            var (m, _) = shapeFlag.Load(parse, parse.GetValue(model)!.FullName);
            var b = parse.GetValue(baseline) is { } bf ? shapeFlag.Load(parse, bf.FullName).Model : null;
            var spec = PreprocessFlag.Spec(parse.GetValue(data)!, preprocessFlag.Resolve(parse, m))!;
            if (!parse.GetValue(json))
            {
                PreprocessFlag.Describe(ctx, ModelInputs.Of(m), spec);
            }
            var options = new EvaluationOptions { BatchSize = parse.GetValue(batch), Threads = threadCount, LatencyRuns = runCount, LatencyOnly = parse.GetValue(bench) };
            EvaluationReport report;
            try
            {
                report = ModelEvaluator.Evaluate(m, spec, b, options, new LineProgress(ctx.Error), ct);
            }
            catch (InputException e) when (b is not null && e is not (DataException or UsageException))
            {
                // Fidelity and accuracy need the two models to answer in the same shape.
                throw new UsageException($"{parse.GetValue(baseline)!.Name}: cannot be compared with {parse.GetValue(model)!.Name}: {e.Message}", e);
            }
            var name = Path.GetFileName(m.SourcePath!);
            var baseName = b is null ? null : Path.GetFileName(b.SourcePath!);
            if (parse.GetValue(json))
            {
                WriteJson(ctx.Out, name, baseName, spec, options, report);
            }
            else
            {
                WriteText(ctx.Out, name, baseName, spec, options, report);
            }
            return Task.FromResult(EdgecApp.ExitOk);
        }));
        return command;
    }

    private static void WriteText(TextWriter w, string name, string? baseName, DataSpec spec, EvaluationOptions o, EvaluationReport r)
    {
        var inv = CultureInfo.InvariantCulture;
        var count = o.LatencyOnly ? "" : string.Create(inv, $" ({r.Samples} samples)");
        w.WriteLine(string.Create(inv, $"{name} on {spec.Text}{count}"));
        if (r.Top1Percent is { } t1)
        {
            var vs = r.BaselineTop1Percent is { } b1 ? string.Create(inv, $"   baseline {b1:F2} % ({t1 - b1:+0.00;-0.00;0.00} pt)") : "";
            w.WriteLine(string.Create(inv, $"  top-1     {t1:F2} %{vs}"));
            if (r.Top5Percent is { } t5)
            {
                // Absent for five classes or fewer, where every label is in the top five.
                w.WriteLine(string.Create(inv, $"  top-5     {t5:F2} %") + (r.BaselineTop5Percent is { } b5 ? string.Create(inv, $"   baseline {b5:F2} %") : ""));
            }
        }
        else if (!o.LatencyOnly)
        {
            w.WriteLine("  accuracy  not measured: the data has no labels");
        }
        // Per output, never pooled: one cosine over a score and a feature map hides the score (see OutputFidelity).
        foreach (var o2 in r.PerOutput?.Outputs ?? [])
        {
            w.WriteLine(string.Create(inv, $"  output '{o2.Name}' vs {baseName}: {o2.Describe()}"));
        }
        if (r.VersusStored is { } s)
        {
            w.WriteLine(string.Create(inv, $"  expected  cosine {s.Cosine:F5}, max abs error {s.MaxAbsError:G4} vs the stored output_*.pb"));
        }
        if (r.Latency is { } l)
        {
            w.WriteLine(string.Create(inv, $"  latency   median {l.P50Ms:F3} ms, p90 {l.P90Ms:F3} ms, min {l.MinMs:F3} ms per sample ({l.Count} runs, {o.Threads} thread(s), this host)"));
            if (r.BaselineLatency is { } bl)
            {
                w.WriteLine(string.Create(inv, $"  baseline  median {bl.P50Ms:F3} ms, p90 {bl.P90Ms:F3} ms, min {bl.MinMs:F3} ms"));
                // The min is what the machine does undisturbed; on a busy host it is the steadier of the two ratios.
                w.WriteLine(string.Create(inv, $"  speed-up  {bl.P50Ms / l.P50Ms:F2}x by median, {bl.MinMs / l.MinMs:F2}x by min ({name} vs {baseName})"));
            }
        }
    }

    private static void WriteJson(TextWriter w, string name, string? baseName, DataSpec spec, EvaluationOptions o, EvaluationReport r)
    {
        using var stream = new MemoryStream();
        using (var j = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            j.WriteStartObject();
            j.WriteString("model", name);
            j.WriteString("data", spec.Text);
            j.WriteNumber("samples", r.Samples);
            Number(j, "top1_percent", r.Top1Percent);
            Number(j, "top5_percent", r.Top5Percent);
            if (baseName is not null)
            {
                j.WriteString("baseline", baseName);
                Number(j, "baseline_top1_percent", r.BaselineTop1Percent);
                Number(j, "baseline_top5_percent", r.BaselineTop5Percent);
            }
            Fid(j, "fidelity_vs_baseline", r.VersusBaseline);
            if (r.PerOutput is { } guard)
            {
                j.WriteStartArray("outputs_vs_baseline");
                foreach (var o2 in guard.Outputs.Select(x => x.ToManifest()))
                {
                    j.WriteStartObject();
                    j.WriteString("name", o2.Name);
                    j.WriteString("kind", o2.Kind);
                    j.WriteNumber("cosine", o2.Cosine);
                    j.WriteNumber("max_abs_difference", o2.MaxAbsDifference);
                    j.WriteNumber("mean_abs_difference", o2.MeanAbsDifference);
                    Number(j, "agreement_percent", o2.AgreementPercent);
                    Number(j, "sqnr_db", o2.SqnrDb);
                    j.WriteString("summary", o2.Summary);
                    j.WriteEndObject();
                }
                j.WriteEndArray();
            }
            Fid(j, "fidelity_vs_stored", r.VersusStored);
            j.WriteNumber("threads", o.Threads);
            Lat(j, "latency", r.Latency);
            Lat(j, "baseline_latency", r.BaselineLatency);
            if (r.Latency is { } l && r.BaselineLatency is { } bl && l.P50Ms > 0)
            {
                j.WriteNumber("speedup_vs_baseline", bl.P50Ms / l.P50Ms);
            }
            j.WriteEndObject();
        }
        w.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    private static void Number(Utf8JsonWriter j, string name, double? v)
    {
        if (v is { } x)
        {
            j.WriteNumber(name, x);
        }
        else
        {
            j.WriteNull(name);
        }
    }

    private static void Fid(Utf8JsonWriter j, string name, Fidelity? f)
    {
        if (f is null)
        {
            return;
        }
        j.WriteStartObject(name);
        j.WriteNumber("cosine", f.Cosine);
        j.WriteNumber("max_abs_error", f.MaxAbsError);
        j.WriteNumber("mse", f.MeanSquaredError);
        j.WriteEndObject();
    }

    private static void Lat(Utf8JsonWriter j, string name, LatencyStatistics? l)
    {
        if (l is null)
        {
            return;
        }
        j.WriteStartObject(name);
        j.WriteNumber("runs", l.Count);
        j.WriteNumber("median_ms", l.P50Ms);
        j.WriteNumber("p90_ms", l.P90Ms);
        j.WriteNumber("min_ms", l.MinMs);
        j.WriteNumber("mean_ms", l.MeanMs);
        j.WriteEndObject();
    }
}
