using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Factorization;

/// <summary>Carries a convolution's spatial attributes onto the convs that replace it.</summary>
internal static class ConvAttributes
{
    /// <summary>Copies strides, pads, dilations and auto_pad from <paramref name="from"/> and sets the kernel.</summary>
    public static void CopySpatial(NodeProto from, NodeProto to, IReadOnlyList<long> kernel)
    {
        to.SetInts("kernel_shape", kernel);
        foreach (var name in new[] { "strides", "pads", "dilations" })
        {
            if (from.GetInts(name) is { } values)
            {
                to.SetInts(name, values);
            }
        }
        var autoPad = from.GetString("auto_pad", "NOTSET");
        if (autoPad != "NOTSET")
        {
            to.SetString("auto_pad", autoPad);
        }
    }

    /// <summary>
    /// Explicit (begin..., end...) pads for a 2-D conv, resolving auto_pad from the observed input size; null when
    /// auto_pad needs a size that was not observed.
    /// </summary>
    public static long[]? ExplicitPads2D(NodeProto conv, long[] kernel, long[]? inputDims)
    {
        var strides = conv.GetInts("strides") ?? [1, 1];
        var dilations = conv.GetInts("dilations") ?? [1, 1];
        var autoPad = conv.GetString("auto_pad", "NOTSET");
        switch (autoPad)
        {
            case "NOTSET":
                return conv.GetInts("pads") ?? [0, 0, 0, 0];
            case "VALID":
                return [0, 0, 0, 0];
        }
        if (inputDims is null || inputDims.Length != 4)
        {
            return null;
        }
        var pads = new long[4];
        for (var i = 0; i < 2; i++)
        {
            var size = inputDims[2 + i];
            var outSize = (size + strides[i] - 1) / strides[i];
            var total = Math.Max(0, ((outSize - 1) * strides[i]) + ((kernel[i] - 1) * dilations[i]) + 1 - size);
            var begin = autoPad == "SAME_LOWER" ? (total + 1) / 2 : total / 2;
            pads[i] = begin;
            pads[i + 2] = total - begin;
        }
        return pads;
    }
}
