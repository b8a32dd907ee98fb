using System.Globalization;

namespace EdgeCompress.Training;

/// <summary>One-line renderings of training progress for people (stderr).</summary>
public static class ProgressText
{
    /// <summary>
    /// "epoch 2/6  step 150/469  loss 0.412  acc 85.1%  310 img/s  ETA 4m05s" (with "  feature loss 0.0123" after the
    /// loss when features are distilled), or an eval/teacher line.
    /// </summary>
    public static string Format(TrainingProgress p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var c = CultureInfo.InvariantCulture;
        return p.Phase switch
        {
            "eval" => string.Create(c, $"epoch {p.Epoch}/{p.Epochs}  done: train loss {p.Loss:F3}, held-out accuracy {p.Accuracy * 100:F2}%"),
            "teacher" => string.Create(c, $"teacher soft targets {p.Step}/{p.Steps}"),
            "calibrate" => string.Create(c, $"calibrating activation ranges: batch {p.Step}/{p.Steps}"),
            _ => string.Create(c, $"epoch {p.Epoch}/{p.Epochs}  step {p.Step}/{p.Steps}  loss {p.Loss:F3}")
                + (p.FeatureLoss is { } f ? string.Create(c, $"  feature loss {f:F4}") : "")
                + (p.Accuracy is { } a ? string.Create(c, $"  acc {a * 100:F1}%") : "")
                + string.Create(c, $"  {p.SamplesPerSecond:F0} img/s")
                + (p.EtaSeconds is { } eta ? $"  ETA {Duration(eta)}" : ""),
        };
    }

    /// <summary>Seconds as "1h02m", "4m05s" or "12s".</summary>
    public static string Duration(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Max(0, seconds));
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:D2}m" : t.TotalMinutes >= 1 ? $"{t.Minutes}m{t.Seconds:D2}s" : $"{t.Seconds}s";
    }
}
