using EdgeCompress.Manifest;

namespace EdgeCompress.Reporting;

/// <summary>
/// The quality figure the trade-off charts plot: top-1 accuracy when the data had labels, else the quality guard's
/// worst-output measure (<see cref="WorstOutput"/>), so an unlabelled search still shows what it traded.
/// </summary>
/// <param name="Name">Capitalised name for titles, e.g. "Worst-output decision agreement".</param>
/// <param name="AxisTitle">Axis title with its unit, e.g. "worst-output decision agreement, %".</param>
/// <param name="Value">The variant's figure, or null when it has none; higher is better.</param>
/// <param name="WhyMissing">Why a variant may have no figure, for the chart's note; null when nothing needs saying.</param>
public sealed record QualityAxis(string Name, string AxisTitle, Func<ManifestVariant, double?> Value, string? WhyMissing = null)
{
    private static readonly QualityAxis Accuracy = new("Accuracy", "top-1 accuracy, %", v => v.AccuracyPercent);

    /// <summary>The axis for <paramref name="m"/>: accuracy when any variant has one, else the guard's measure.</summary>
    public static QualityAxis Of(OptimizeManifest m)
    {
        ArgumentNullException.ThrowIfNull(m);
        if (m.Variants.Any(v => v.AccuracyPercent is not null))
        {
            return Accuracy;
        }
        if (m.Variants.Any(v => v.Outputs is { Count: > 0 }))
        {
            var measure = WorstOutput.MeasureOf(m);
            var name = WorstOutput.Name(measure);
            return new QualityAxis(char.ToUpperInvariant(name[0]) + name[1..], WorstOutput.Title(measure), v => WorstOutput.Of(v, measure) is { } o ? WorstOutput.Figure(o, measure) : null,
                measure is OutputMeasure.SqnrDb ? "an output identical to the baseline's has no SQNR" : null);
        }
        // Manifests written before per-output figures: the lowest cosine over the outputs.
        return m.Variants.Any(v => v.FidelityCosine is not null)
            ? new QualityAxis("Worst-output cosine similarity", WorstOutput.Title(OutputMeasure.Cosine), v => v.FidelityCosine)
            : Accuracy;
    }
}
