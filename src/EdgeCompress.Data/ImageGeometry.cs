namespace EdgeCompress.Data;

/// <summary>
/// Where each target pixel of a resize comes from: per target column and row the two source indices and the weight
/// of the second (in 1/2048), or padding. Bilinear with half-pixel centres (as OpenCV's INTER_LINEAR and
/// torchvision without antialias): target d samples source (d - offset + 0.5) * source / resized - 0.5, clamped at
/// the edges. Results are rounded to bytes (half away from zero) in fixed point, so every platform gets the same
/// bytes. A plan depends only on the source size and the preprocessing, so one is reused for same-sized images.
/// </summary>
internal sealed class ImageGeometry
{
    private const int Bits = 11;
    private const int One = 1 << Bits;

    private ImageGeometry(int sourceWidth, int sourceHeight, Axis x, Axis y)
    {
        SourceWidth = sourceWidth;
        SourceHeight = sourceHeight;
        X = x;
        Y = y;
        Identity = x.IsIdentity && y.IsIdentity;
    }

    public int SourceWidth { get; }

    public int SourceHeight { get; }

    /// <summary>True when the target is the source pixel for pixel (no resize, crop or padding).</summary>
    public bool Identity { get; }

    private Axis X { get; }

    private Axis Y { get; }

    /// <summary>The size the whole image is scaled to before cropping or padding (width, height).</summary>
    public static (int Width, int Height) ResizedSize(int sourceWidth, int sourceHeight, Preprocess p)
    {
        var (h, w) = (p.Size!.Value.Height, p.Size.Value.Width);
        double sx = (double)w / sourceWidth, sy = (double)h / sourceHeight;
        return p.Resize switch
        {
            ResizeMode.ShorterSideThenCenterCrop => (Math.Max(w, Round(sourceWidth * Math.Max(sx, sy))), Math.Max(h, Round(sourceHeight * Math.Max(sx, sy)))),
            ResizeMode.Letterbox or ResizeMode.KeepAspectPad => (Math.Min(w, Round(sourceWidth * Math.Min(sx, sy))), Math.Min(h, Round(sourceHeight * Math.Min(sx, sy)))),
            _ => (w, h),
        };
    }

    /// <summary>The plan for a source of this size under a resolved preprocessing.</summary>
    public static ImageGeometry Plan(int sourceWidth, int sourceHeight, Preprocess p)
    {
        var (h, w) = (p.Size!.Value.Height, p.Size.Value.Width);
        var (rw, rh) = ResizedSize(sourceWidth, sourceHeight, p);
        var (ox, oy) = p.Resize switch
        {
            // A negative offset crops: target 0 is resized pixel (resized - target) / 2.
            ResizeMode.ShorterSideThenCenterCrop => (-((rw - w) / 2), -((rh - h) / 2)),
            ResizeMode.Letterbox or ResizeMode.KeepAspectPad when p.EffectiveAlign == PadAlign.Center => ((w - rw) / 2, (h - rh) / 2),
            _ => (0, 0),
        };
        return new ImageGeometry(sourceWidth, sourceHeight, Axis.Create(sourceWidth, rw, ox, w), Axis.Create(sourceHeight, rh, oy, h));
    }

    /// <summary>
    /// Resamples <paramref name="source"/> (rows of SourceWidth pixels, <paramref name="stride"/> bytes each, channel
    /// c of the target read from byte c) into <paramref name="target"/>: rows of target-width pixels with
    /// <paramref name="channels"/> bytes each; padding gets <paramref name="pad"/>.
    /// </summary>
    public void Resample(ReadOnlySpan<byte> source, int stride, Span<byte> target, int channels, byte pad)
    {
        var rowBytes = SourceWidth * stride;
        var t = 0;
        for (var dy = 0; dy < Y.Length; dy++)
        {
            var y0 = Y.First[dy];
            if (y0 < 0)
            {
                target.Slice(t, X.Length * channels).Fill(pad);
                t += X.Length * channels;
                continue;
            }
            int wy = Y.Weight[dy], row0 = y0 * rowBytes, row1 = Y.Second[dy] * rowBytes;
            for (var dx = 0; dx < X.Length; dx++)
            {
                var x0 = X.First[dx];
                if (x0 < 0)
                {
                    target.Slice(t, channels).Fill(pad);
                    t += channels;
                    continue;
                }
                int wx = X.Weight[dx], a = x0 * stride, b = X.Second[dx] * stride;
                for (var c = 0; c < channels; c++)
                {
                    var top = (source[row0 + a + c] * (One - wx)) + (source[row0 + b + c] * wx);
                    var bottom = (source[row1 + a + c] * (One - wx)) + (source[row1 + b + c] * wx);
                    target[t++] = (byte)(((top * (One - wy)) + (bottom * wy) + (1 << ((2 * Bits) - 1))) >> (2 * Bits));
                }
            }
        }
    }

    private static int Round(double v) => Math.Max(1, (int)Math.Round(v, MidpointRounding.AwayFromZero));

    /// <summary>One axis of a plan: source indices and weights per target index; First is -1 where padded.</summary>
    private sealed record Axis(int Length, int[] First, int[] Second, int[] Weight, bool IsIdentity)
    {
        public static Axis Create(int source, int resized, int offset, int target)
        {
            var first = new int[target];
            var second = new int[target];
            var weight = new int[target];
            var identity = source == target && resized == target && offset == 0;
            for (var d = 0; d < target; d++)
            {
                var r = d - offset;
                if (r < 0 || r >= resized)
                {
                    first[d] = -1;
                    continue;
                }
                var at = Math.Clamp(((r + 0.5) * source / resized) - 0.5, 0, source - 1);
                var i = (int)Math.Floor(at);
                var w = (int)Math.Round((at - i) * One, MidpointRounding.AwayFromZero);
                if (w == One)
                {
                    (i, w) = (i + 1, 0);
                }
                first[d] = i;
                second[d] = Math.Min(i + 1, source - 1);
                weight[d] = w;
            }
            return new Axis(target, first, second, weight, identity);
        }
    }
}
