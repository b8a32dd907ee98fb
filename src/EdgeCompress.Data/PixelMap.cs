namespace EdgeCompress.Data;

/// <summary>
/// Turns target-sized pixel bytes into one sample of the tensor: ((byte * scale) - mean[c]) / std[c] per channel,
/// computed once per byte value in double and rounded once to float (to half precision for float16), so 1/255
/// scaling gives exactly byte / 255f; channel order (bgr reverses rgb) and layout (nchw or nhwc) applied on write.
/// For uint8 the bytes are written as they are.
/// </summary>
internal sealed class PixelMap
{
    private readonly float[] _table;
    private readonly int[] _sourceChannel;

    /// <summary>Builds the map of a resolved preprocessing.</summary>
    public PixelMap(Preprocess p)
    {
        Channels = p.Channels!.Value;
        Height = p.Size!.Value.Height;
        Width = p.Size.Value.Width;
        Nchw = p.Layout == TensorLayout.Nchw;
        Type = p.DType!.Value;
        _sourceChannel = p.Color == ColorOrder.Bgr ? [2, 1, 0] : [0, 1, 2];
        _table = new float[Channels * 256];
        for (var c = 0; c < Channels; c++)
        {
            for (var v = 0; v < 256; v++)
            {
                var value = Type == PixelType.Uint8 ? v : ((v * (p.Scale ?? Preprocess.DefaultScale)) - (p.Mean?[c] ?? 0)) / (p.Std?[c] ?? 1);
                _table[(c * 256) + v] = Type == PixelType.Float16 ? (float)(Half)value : (float)value;
            }
        }
    }

    /// <summary>1 or 3.</summary>
    public int Channels { get; }

    /// <summary>Target rows.</summary>
    public int Height { get; }

    /// <summary>Target columns.</summary>
    public int Width { get; }

    /// <summary>True for [C, H, W] samples, false for [H, W, C].</summary>
    public bool Nchw { get; }

    /// <summary>The element type written.</summary>
    public PixelType Type { get; }

    /// <summary>Values in one sample.</summary>
    public int SampleSize => Channels * Height * Width;

    /// <summary>The value a byte of channel <paramref name="channel"/> becomes.</summary>
    public float Value(int channel, byte pixel) => _table[(channel * 256) + pixel];

    /// <summary>
    /// Writes one sample from <paramref name="pixels"/> (Height x Width pixels, <paramref name="stride"/> bytes each,
    /// rgb or gray in the first bytes) into <paramref name="floats"/>, or into <paramref name="int64s"/> for uint8.
    /// </summary>
    public void Write(ReadOnlySpan<byte> pixels, int stride, Span<float> floats, Span<long> int64s)
    {
        var count = Height * Width;
        for (var c = 0; c < Channels; c++)
        {
            var table = _table.AsSpan(c * 256, 256);
            var from = Channels == 1 ? 0 : _sourceChannel[c];
            var (start, step) = Nchw ? (c * count, 1) : (c, Channels);
            if (Type == PixelType.Uint8)
            {
                for (int i = 0, s = from, t = start; i < count; i++, s += stride, t += step)
                {
                    int64s[t] = pixels[s];
                }
                continue;
            }
            for (int i = 0, s = from, t = start; i < count; i++, s += stride, t += step)
            {
                floats[t] = table[pixels[s]];
            }
        }
    }
}
