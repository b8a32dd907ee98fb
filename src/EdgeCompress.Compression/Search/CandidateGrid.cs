using System.Globalization;
using EdgeCompress.Profiles;

namespace EdgeCompress.Compression.Search;

/// <summary>
/// The candidates the search tries for a profile, cheapest and most likely first so a short time budget still ends
/// with something useful. Settings come from the profile (int8 scheme, channel rounding) and each recipe says why.
/// </summary>
public static class CandidateGrid
{
    /// <summary>Pruning ratios tried (fraction of channels removed).</summary>
    public static IReadOnlyList<double> PruneRatios { get; } = [0.3, 0.4, 0.5];

    /// <summary>The pruning ratio tried with a lighter ratio at the smallest feature maps.</summary>
    public static (double Ratio, double Tail) TailedRatio { get; } = (0.5, 0.125);

    /// <summary>Builds the recipes for a profile.</summary>
    /// <param name="profile">The target board.</param>
    /// <param name="matMulHeavy">True when most MACs are in MatMul/Gemm (dynamic int8 is then worth a try).</param>
    /// <param name="canFineTune">True when the training worker is available to recover accuracy.</param>
    public static IReadOnlyList<Recipe> For(DeviceProfile profile, bool matMulHeavy, bool canFineTune)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var q = profile.Quantization;
        var schemeWhy = Quantization.QuantizeScheme.ProfileReason(profile) + (q.ReduceRange ? ", with reduce-range (7-bit weights)" : "");
        var round = profile.ChannelRounding.ToString(CultureInfo.InvariantCulture);
        var roundWhy = $"channels rounded to multiples of {round} ({profile.Id} kernels' preferred width)";
        var quant = new QuantizeStaticStep
        {
            Scheme = q.Scheme == "U8S8" ? Int8Scheme.U8S8 : Int8Scheme.S8S8,
            PerChannel = q.PerChannel,
            ReduceRange = q.ReduceRange,
        };
        // The plain int8 candidate also ranks its layers (one int8 layer at a time): the manifest's sensitivity table.
        var quantRanked = quant with { Sensitivity = true };
        var quantEntropy = quant with { CalibrationMethod = Calibration.CalibrationMethod.Entropy };
        var tunedWhy = canFineTune ? "; fine-tuned from the baseline" : "; not fine-tuned (training unavailable)";

        var recipes = new List<Recipe>
        {
            new("int8", [quantRanked], $"static int8 QDQ, per-channel weights; {schemeWhy}"),
            new("int8-entropy", [quantEntropy], $"as int8 with KL-divergence calibration, which clips outliers; {schemeWhy}"),
        };
        if (matMulHeavy)
        {
            recipes.Add(new("int8-dynamic", [new QuantizeDynamicStep()],
                "most MACs are in MatMul/Gemm: dynamic int8 quantizes activations at run time"));
        }
        foreach (var ratio in PruneRatios)
        {
            var r = ratio.ToString("0.##", CultureInfo.InvariantCulture);
            var prune = new PruneChannelsStep { Ratio = ratio, RoundTo = profile.ChannelRounding, FineTune = canFineTune };
            recipes.Add(new($"prune-{r}", [prune], $"{r} of channels removed; {roundWhy}" + tunedWhy));
            recipes.Add(new($"prune-{r}+int8", [prune, quant], $"pruned {r} then static int8; {roundWhy}; {schemeWhy}"));
        }
        {
            // Channels pruned where they cost most and kept where they are cheap: after a stride-2 stage a channel costs
            // a quarter of the MACs, so the smallest feature maps get a quarter of the ratio. Measured on the vgg-s
            // baseline (8 fine-tune epochs): 16/32/112 channels reach 92.09% (int8 92.13%) against 91.84% for 16/32/64,
            // int8 2.22x faster and 6.3x smaller than the baseline.
            var (r, tail) = (TailedRatio.Ratio.ToString("0.##", CultureInfo.InvariantCulture), TailedRatio.Tail.ToString("0.###", CultureInfo.InvariantCulture));
            var prune = new PruneChannelsStep { Ratio = TailedRatio.Ratio, TailRatio = TailedRatio.Tail, RoundTo = profile.ChannelRounding, FineTune = canFineTune };
            var why = $"{r} of channels removed, {tail} in the layers at the smallest feature maps (cheapest channels, read by the classifier); {roundWhy}";
            recipes.Add(new($"prune-{r}-tail{tail}", [prune], why + tunedWhy));
            recipes.Add(new($"prune-{r}-tail{tail}+int8", [prune, quant], $"{why}; then static int8; {schemeWhy}"));
        }
        var factor = new FactorizeStep { Params = 0.5, RoundTo = profile.ChannelRounding, FineTune = canFineTune };
        recipes.Add(new("factorize-0.5", [factor], $"low-rank factorization to half the parameters; {roundWhy}"));
        recipes.Add(new("factorize-0.5+int8", [factor, quant], $"factorized then static int8; {schemeWhy}"));
        if (canFineTune)
        {
            // Last: a student costs epochs of training from scratch, so a short budget ends before it.
            var student = new DistillStudentStep { Arch = "thin@0.5", Epochs = 3 };
            recipes.Add(new("student-thin-0.5", [student], "a half-width copy of the model distilled from it (soft targets T=4, alpha 0.7)"));
            recipes.Add(new("student-thin-0.5+int8", [student, quant], $"the distilled student then static int8; {schemeWhy}"));
        }
        return recipes;
    }
}
