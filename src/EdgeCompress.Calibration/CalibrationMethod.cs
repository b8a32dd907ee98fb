using System.Text.Json.Serialization;

namespace EdgeCompress.Calibration;

/// <summary>How an activation range is chosen from the calibration histogram.</summary>
public enum CalibrationMethod
{
    /// <summary>Smallest and largest value seen.</summary>
    [JsonStringEnumMemberName("minmax")]
    MinMax,

    /// <summary>Clip the tails outside a percentile of the values.</summary>
    Percentile,

    /// <summary>Clip at the threshold minimising KL divergence between the float and quantized distributions.</summary>
    Entropy,
}

/// <summary>A float range an activation was calibrated to.</summary>
/// <param name="Min">Lower end (never above 0 once made quantizable).</param>
/// <param name="Max">Upper end (never below 0 once made quantizable).</param>
public readonly record struct FloatRange(float Min, float Max);
