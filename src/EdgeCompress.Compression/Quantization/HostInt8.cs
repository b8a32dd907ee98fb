using System.Runtime.InteropServices;

namespace EdgeCompress.Compression.Quantization;

/// <summary>
/// What this host's ONNX Runtime int8 kernels do with 8-bit weights. On x86 without VNNI, ONNX Runtime multiplies
/// u8 x s8 pairs with VPMADDUBSW, whose 16-bit sums saturate (255 x 127 x 2 > 32767): outputs then go visibly wrong
/// (a single Conv measured here fell from cosine 0.99996 to 0.978). 7-bit weights (reduce-range) keep the sums in
/// range. ARM (SDOT/UDOT or widening multiplies) and VNNI hosts do not saturate.
/// </summary>
public static class HostInt8
{
    /// <summary>The facts above for this process's host, as one value to hand to what needs them.</summary>
    public static Int8Host This { get; } = new(Detect(), RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86);

    /// <summary>True when ONNX Runtime on this host needs 7-bit weights to compute int8 layers exactly.</summary>
    public static bool NeedsReduceRange => This.NeedsReduceRange;

    /// <summary>
    /// True on x86: ONNX Runtime's x86 int8 kernels (VPMADDUBSW, VNNI's VPDPBUSD) multiply u8 activations by s8
    /// weights, so uint8 activations run natively while int8 ones take a slower path. Measured single-thread on an
    /// AVX-512 VNNI host with the zoo's random-weight models: ResNet-50 3.18x faster than float with uint8 activations
    /// against 1.38x with int8; MobileNetV2 1.79x against 1.10x.
    /// </summary>
    public static bool PrefersUint8Activations => This.PrefersUint8Activations;

    private static bool Detect()
    {
        if (RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.X86))
        {
            return false;
        }
        if (System.Runtime.Intrinsics.X86.AvxVnni.IsSupported)
        {
            return false;
        }
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                var flags = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal)) ?? "";
                return !flags.Contains("avx512_vnni", StringComparison.Ordinal) && !flags.Contains("avx_vnni", StringComparison.Ordinal);
            }
        }
        catch (IOException)
        {
            // Unknown: assume the common case of an older x86 host.
        }
        return true;
    }
}

/// <summary>What a host's ONNX Runtime int8 kernels need and prefer (see <see cref="HostInt8"/>); verbs take it from
/// their environment, so a test can ask what they would do on an x86 host without VNNI, or on ARM.</summary>
/// <param name="NeedsReduceRange">7-bit weights are needed to compute int8 layers exactly.</param>
/// <param name="PrefersUint8Activations">uint8 activations run natively (x86).</param>
public sealed record Int8Host(bool NeedsReduceRange, bool PrefersUint8Activations);
