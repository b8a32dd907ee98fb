using System.Globalization;
using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Passes;
using EdgeCompress.Compression.Quantization;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Calibration;

namespace EdgeCompress.Cli.Commands;

/// <summary>Figures measured on a quantized model before it is written.</summary>
/// <param name="Quality">The quality guard's comparison with the float model (null when no data could be made).</param>
/// <param name="FloatBytes">Serialized size of the float model.</param>
/// <param name="QuantBytes">Serialized size of the quantized model.</param>
internal sealed record QuantizeFigures(QualityResult? Quality, long FloatBytes, long QuantBytes)
{
    /// <summary>Top-1 points lost (labelled data only).</summary>
    public double? Top1Drop => Quality?.Top1 is var (a, b) ? a - b : null;
}

/// <summary>The table every quantize run ends with: size, layers, and the quality guard.</summary>
internal static class QuantizeSummary
{
    /// <summary>Prints the table; returns false when the quality guard failed a budget the user set.</summary>
    public static bool Print(CliContext ctx, string input, string output, QuantizationOptions o, QuantizeScheme scheme, PassRecord prep, PassRecord quant,
        QuantizeFigures f, GuardOutcome? guard, CalibrationResult? cal, QualitySettings settings, string? whyNotMeasured)
    {
        var w = ctx.Out;
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
        if (f.Quality is null)
        {
            GuardReport.PrintNotMeasured(ctx, whyNotMeasured ?? "no data", settings, "  ");
            return true;
        }
        return GuardReport.Print(ctx, f.Quality, settings, "  ");
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
