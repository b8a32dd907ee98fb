using EdgeCompress.Profiles;

namespace EdgeCompress.Compression.Quantization;

/// <summary>The int8 scheme a quantize run uses and why: activation type, reduce-range and per-channel weights, each
/// from an explicit flag, else the device profile, else this host / ONNX Runtime's default. The search's int8
/// candidates state the same profile reason (<see cref="ProfileReason"/>).</summary>
/// <param name="Activations">Activation type (static mode; dynamic mode is always uint8 at run time).</param>
/// <param name="ActivationsWhy">Where the activation type came from, as printed in the table.</param>
/// <param name="ReduceRange">7-bit weights.</param>
/// <param name="ReduceRangeWhy">Where reduce-range came from.</param>
/// <param name="PerChannel">One weight scale per output channel.</param>
/// <param name="Profile">The profile given with --profile, if any.</param>
public sealed record QuantizeScheme(ActivationType Activations, string ActivationsWhy, bool ReduceRange, string ReduceRangeWhy,
    bool PerChannel, DeviceProfile? Profile)
{
    /// <summary>Resolves every choice: an explicit flag wins, then the profile, then the host / default.</summary>
    public static QuantizeScheme Resolve(DeviceProfile? profile, string? activationFlag, bool? reduceRangeFlag, bool perChannelFlag,
        bool perTensorFlag, QuantizationMode mode, Int8Host host)
    {
        var q = profile?.Quantization;
        var (activations, activationsWhy) = activationFlag switch
        {
            "uint8" => (ActivationType.U8, "--activation-type uint8"),
            "int8" => (ActivationType.S8, "--activation-type int8"),
            _ when q is not null => (q.Scheme == "U8S8" ? ActivationType.U8 : ActivationType.S8, ProfileReason(profile!)),
            _ when host.PrefersUint8Activations => (ActivationType.U8,
                "default on this x86 host: U8S8, what ONNX Runtime's x86 int8 kernels compute natively (S8S8 ran ResNet-50 2.3x slower here); give --profile for a board"),
            _ => (ActivationType.S8, "default: S8S8, ONNX Runtime's recommended scheme"),
        };
        if (mode == QuantizationMode.Dynamic)
        {
            // DynamicQuantizeLinear and the dynamic int8 kernels take uint8 activations only.
            var ignored = activationFlag == "int8" ? " (--activation-type int8 does not apply)"
                : activationFlag is null && q?.Scheme == "S8S8" ? " (the profile's S8S8 does not apply)" : "";
            (activations, activationsWhy) = (ActivationType.U8, "dynamic mode: ONNX Runtime quantizes activations to uint8 at run time" + ignored);
        }
        var (reduceRange, reduceWhy) = reduceRangeFlag switch
        {
            { } flag => (flag, $"--reduce-range {(flag ? "true" : "false")}"),
            null when q is not null => (q.ReduceRange, $"profile {profile!.Id}: quantization.reduceRange {(q.ReduceRange ? "true" : "false")}{Hardware(profile)}"),
            null => (host.NeedsReduceRange, host.NeedsReduceRange ? "this host: x86 without VNNI, whose int8 kernels saturate 8-bit weights" : "this host computes 8-bit weights exactly"),
        };
        var perChannel = perTensorFlag ? false
            : perChannelFlag || (q?.PerChannel ?? mode == QuantizationMode.Static);
        return new QuantizeScheme(activations, activationsWhy, reduceRange, reduceWhy, perChannel, profile);
    }

    /// <summary>Why a profile's int8 scheme is what it is: "profile ID: quantization.scheme S (the hardware fact behind it)".</summary>
    public static string ProfileReason(DeviceProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return $"profile {profile.Id}: quantization.scheme {profile.Quantization.Scheme}{Hardware(profile)}";
    }

    private static string Hardware(DeviceProfile p)
    {
        var features = p.Cpu.Features;
        if (p.Cpu.Architecture == "x86_64")
        {
            return features.Any(f => f.Contains("vnni", StringComparison.OrdinalIgnoreCase))
                ? " (x86 with VNNI)"
                : " (x86 without VNNI: u8 x s8 kernels with 16-bit intermediate sums)";
        }
        return features.Contains("dotprod") ? " (ARM with dot-product instructions: int8 QDQ runs on them)"
            : p.Cpu.Architecture == "aarch64" ? " (ARM with no dot-product instructions: int8 still quarters the size, the speed gain is small)"
            : p.Cpu.Architecture.Length > 0 ? $" ({p.Cpu.Architecture})" : "";
    }
}
