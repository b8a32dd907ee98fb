using System.Globalization;
using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Passes;
using EdgeCompress.Compression.Quantization;
using EdgeCompress.Data;
using EdgeCompress.Onnx;

namespace EdgeCompress.Cli.Commands;

/// <summary>Figures measured on a quantized model before it is written.</summary>
/// <param name="Data">The data they were measured on.</param>
/// <param name="Fidelity">Outputs of the quantized model against the float model.</param>
/// <param name="FloatTop1">Top-1 of the float model (labelled data only).</param>
/// <param name="QuantTop1">Top-1 of the quantized model (labelled data only).</param>
/// <param name="FloatBytes">Serialized size of the float model.</param>
/// <param name="QuantBytes">Serialized size of the quantized model.</param>
internal sealed record QuantizeFigures(string Data, Fidelity Fidelity, double? FloatTop1, double? QuantTop1, long FloatBytes, long QuantBytes);

/// <summary>The table every quantize run ends with: size, layers, fidelity, accuracy.</summary>
internal static class QuantizeSummary
{
    /// <summary>Runs both models over the data: fidelity, and accuracy when labelled.</summary>
    public static QuantizeFigures Measure(OnnxModel original, OnnxModel quantized, DataSpec data, IProgress<string> progress, CancellationToken ct)
    {
        progress.Report($"measuring fidelity on {data.Text}");
        var report = ModelEvaluator.Evaluate(quantized, data, original, new EvaluationOptions { LatencyRuns = 0, BatchSize = 64 }, null, ct);
        return new QuantizeFigures(data.Text, report.VersusBaseline!, report.BaselineTop1Percent, report.Top1Percent,
            original.Proto.CalculateSize(), quantized.Proto.CalculateSize());
    }

    public static void Print(TextWriter w, string input, string output, QuantizationOptions o, QuantizeScheme scheme, PassRecord prep, PassRecord quant,
        QuantizeFigures f, GuardOutcome? guard, CalibrationResult? cal)
    {
        var inv = CultureInfo.InvariantCulture;
        var quantized = quant.Layers.Count(l => l.Action.StartsWith("quantized", StringComparison.Ordinal));
        var kept = quant.Layers.Where(l => !l.Action.StartsWith("quantized", StringComparison.Ordinal)).ToList();
        var weightOnly = kept.Count(l => l.Action.StartsWith("int8 weights", StringComparison.Ordinal));
        var mode = o.Mode == QuantizationMode.Static ? "static QDQ" : "dynamic";
        w.WriteLine(string.Create(inv, $"quantized {Path.GetFileName(input)} -> {output}"));
        var activations = o.Mode == QuantizationMode.Static
            ? string.Create(inv, $", {MethodName(o)} calibration on {cal?.Samples ?? 0} samples")
            : "";
        // The quantizer may have fallen back to per-tensor (opset below 13): print what it did, not what was asked.
        var perChannel = quant.Totals.TryGetValue("per_channel", out var pc) ? pc > 0 : o.PerChannel;
        w.WriteLine(string.Create(inv, $"  mode            {mode}, weights int8 {(perChannel ? "per-channel" : "per-tensor")}{(o.ReduceRange ? " 7-bit" : "")}{activations}"));
        if (prep.Settings.TryGetValue("opset", out var opset))
        {
            w.WriteLine(string.Create(inv, $"  opset           {opset}"));
        }
        w.WriteLine(string.Create(inv, $"  activations     {(o.Activations == ActivationType.S8 ? "int8 (S8S8)" : "uint8 (U8S8)")}: {scheme.ActivationsWhy}"));
        w.WriteLine(string.Create(inv, $"  reduce-range    {(o.ReduceRange ? "on (7-bit weights)" : "off (8-bit weights)")}: {scheme.ReduceRangeWhy}"));
        w.WriteLine(string.Create(inv, $"  graph prep      {prep.Totals.GetValueOrDefault("batchnorms_folded")} BatchNorm folded, {prep.Totals.GetValueOrDefault("constants_folded")} constants folded{KeptUnfolded(prep)}, {prep.Totals.GetValueOrDefault("identities_removed")} Identity/Dropout removed"));
        w.WriteLine(string.Create(inv, $"  size            {Size(f.FloatBytes)} -> {Size(f.QuantBytes)} ({(double)f.QuantBytes / Math.Max(1, f.FloatBytes):F3}x)"));
        w.WriteLine(string.Create(inv, $"  layers          {quantized} quantized, {(weightOnly > 0 ? $"{weightOnly} with int8 weights only (float compute), " : "")}{kept.Count - weightOnly} kept float"));
        foreach (var k in kept.Take(8))
        {
            w.WriteLine(string.Create(inv, $"                  - {k.Node} ({k.OpType}): {k.Action}"));
        }
        if (kept.Count > 8)
        {
            w.WriteLine(string.Create(inv, $"                  - ... {kept.Count - 8} more"));
        }
        w.WriteLine(string.Create(inv, $"  fidelity        cosine {f.Fidelity.Cosine:F5}, max abs error {f.Fidelity.MaxAbsError:G4} vs the float model on {f.Data}"));
        if (f.FloatTop1 is { } a && f.QuantTop1 is { } b)
        {
            w.WriteLine(string.Create(inv, $"  accuracy top-1  {a:F2} % -> {b:F2} % ({b - a:+0.00;-0.00;0.00} pt) on {f.Data}"));
        }
        else
        {
            w.WriteLine("  accuracy        not measured: the data has no labels");
        }
        if (guard is not null)
        {
            w.WriteLine(guard.Met
                ? string.Create(inv, $"  budget          held: {guard.KeptFloat.Count} most sensitive layer(s) kept float{(guard.KeptFloat.Count > 0 ? ": " + string.Join(", ", guard.KeptFloat) : "")}")
                : string.Create(inv, $"  budget          MISSED: {guard.Why}"));
            foreach (var s in guard.Sensitivity.Take(5))
            {
                w.WriteLine(string.Create(inv, $"                  sensitivity {s.Node}: relative output error {s.RelativeError:E2}"));
            }
        }
    }

    private static string MethodName(QuantizationOptions o) => o.Method switch
    {
        CalibrationMethod.Percentile => string.Create(CultureInfo.InvariantCulture, $"percentile {o.Percentile}"),
        CalibrationMethod.Entropy => "entropy",
        _ => "minmax",
    };

    private static string KeptUnfolded(PassRecord prep) => prep.Totals.GetValueOrDefault("constants_kept_unfolded") is var n and > 0
        ? string.Create(CultureInfo.InvariantCulture, $" ({n} kept: folding would grow the model)")
        : "";

    /// <summary>A byte count as KB or MB, as the size line prints it.</summary>
    public static string Size(long bytes) => bytes >= 1 << 20
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:F2} MB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} KB");

}
