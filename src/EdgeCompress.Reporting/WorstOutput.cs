using System.Globalization;
using EdgeCompress.Manifest;

namespace EdgeCompress.Reporting;

/// <summary>The figure by which a report ranks a variant's outputs against the baseline's; higher is better for each.</summary>
public enum OutputMeasure
{
    /// <summary>Percent of samples whose decision (threshold, argmax, top-1) matches the baseline's.</summary>
    DecisionAgreement,

    /// <summary>Signal-to-quantisation-noise ratio of a dense output, dB.</summary>
    SqnrDb,

    /// <summary>Cosine similarity with the baseline's output.</summary>
    Cosine,
}

/// <summary>
/// Picks one measure for a whole manifest (decision agreement when any output has one, else SQNR when any dense output
/// has one, else cosine) and, per variant, the output that scores lowest on it: the guard's worst output.
/// </summary>
public static class WorstOutput
{
    /// <summary>The measure the manifest's outputs share, so every variant is ranked on the same scale.</summary>
    public static OutputMeasure MeasureOf(OptimizeManifest m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var outputs = m.Variants.SelectMany(v => v.Outputs ?? []).ToList();
        return outputs.Any(o => o.AgreementPercent is not null) ? OutputMeasure.DecisionAgreement
            : outputs.Any(o => o.SqnrDb is not null) ? OutputMeasure.SqnrDb
            : OutputMeasure.Cosine;
    }

    /// <summary>An output's figure on <paramref name="measure"/>, or null when it has none (an identical dense output has no SQNR).</summary>
    public static double? Figure(ManifestOutput o, OutputMeasure measure)
    {
        ArgumentNullException.ThrowIfNull(o);
        return measure switch
        {
            OutputMeasure.DecisionAgreement => o.AgreementPercent,
            OutputMeasure.SqnrDb => o.SqnrDb,
            _ => o.Cosine,
        };
    }

    /// <summary>The variant's output with the lowest figure on <paramref name="measure"/>, or null when none has one.</summary>
    public static ManifestOutput? Of(ManifestVariant v, OutputMeasure measure)
    {
        ArgumentNullException.ThrowIfNull(v);
        return v.Outputs?.Where(o => Figure(o, measure) is not null).MinBy(o => Figure(o, measure));
    }

    /// <summary>The measure's own name, e.g. "decision agreement".</summary>
    public static string MeasureName(OutputMeasure measure) => measure switch
    {
        OutputMeasure.DecisionAgreement => "decision agreement",
        OutputMeasure.SqnrDb => "SQNR",
        _ => "cosine similarity",
    };

    /// <summary>The worst output's figure by name, e.g. "worst-output decision agreement".</summary>
    public static string Name(OutputMeasure measure) => "worst-output " + MeasureName(measure);

    /// <summary>The measure as an axis or column title with its unit, e.g. "worst-output decision agreement, %".</summary>
    public static string Title(OutputMeasure measure) => measure switch
    {
        OutputMeasure.DecisionAgreement => Name(measure) + ", %",
        OutputMeasure.SqnrDb => Name(measure) + ", dB",
        _ => Name(measure),
    };

    /// <summary>The variant's worst output as one line: its name and summary (or name and figure when it has no summary).</summary>
    public static string Describe(ManifestVariant v, OutputMeasure measure)
    {
        if (Of(v, measure) is not { } worst)
        {
            return "—";
        }
        return worst.Summary.Length > 0
            ? $"{worst.Name}: {worst.Summary}"
            : $"{worst.Name}: {Format(measure, Figure(worst, measure)!.Value)}";
    }

    /// <summary>A figure with its unit, e.g. "decisions agree 97.5%", "SQNR 23.1 dB", "cosine 0.99870".</summary>
    public static string Format(OutputMeasure measure, double figure) => measure switch
    {
        OutputMeasure.DecisionAgreement => string.Create(CultureInfo.InvariantCulture, $"decisions agree {figure:F1}%"),
        OutputMeasure.SqnrDb => string.Create(CultureInfo.InvariantCulture, $"SQNR {figure:F1} dB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"cosine {figure:F5}"),
    };
}
