using System.Runtime.InteropServices;
using SkiaSharp;

namespace EdgeCompress.Data;

/// <summary>A decoded image in a scratch buffer: Width x Height pixels of Stride bytes (4 = RGBA, 1 = gray).</summary>
internal readonly record struct DecodedImage(byte[] Pixels, int Width, int Height, int Stride);

/// <summary>
/// Decodes PNG, JPEG, BMP and WebP files with SkiaSharp into reusable buffers. No colour-space conversion and no
/// EXIF rotation (as PIL's Image.open gives the pixels). When the image is at least twice the size it will be
/// resized to, a JPEG (or WebP) is decoded at 1/2, 1/4 or 1/8 scale by the codec itself, which is both faster and
/// a better low-pass than bilinear sampling of the full image.
/// </summary>
internal static class ImageDecoder
{
    /// <summary>The file extensions image folders read (lower case).</summary>
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".webp"];

    /// <summary>True when the file name has an image extension.</summary>
    public static bool IsImage(string path) =>
        Extensions.Contains(Path.GetExtension(path).ToLowerInvariant(), StringComparer.Ordinal);

    /// <summary>
    /// Decodes <paramref name="path"/> for a resolved preprocessing: gray (one byte per pixel, luma for colour
    /// sources) when <paramref name="gray"/>, else RGBA. Throws <see cref="DataException"/> naming the file when it
    /// cannot be decoded.
    /// </summary>
    public static DecodedImage Decode(string path, Preprocess p, bool gray, ImageScratch scratch)
    {
        using var codec = SKCodec.Create(path, out var opened);
        if (codec is null)
        {
            throw new DataException($"{path}: not a decodable PNG, JPEG, BMP or WebP image ({Describe(opened)})");
        }
        var full = codec.Info;
        if (full.Width <= 0 || full.Height <= 0)
        {
            throw new DataException($"{path}: image has no pixels ({full.Width}x{full.Height})");
        }
        var (width, height) = ScaledSize(codec, p);
        var sourceGray = full.ColorType == SKColorType.Gray8;
        var stride = gray && sourceGray ? 1 : 4;
        var info = new SKImageInfo(width, height, stride == 1 ? SKColorType.Gray8 : SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var buffer = scratch.Decoded(width * height * stride);
        var result = codec.GetPixels(info, Marshal.UnsafeAddrOfPinnedArrayElement(buffer, 0));
        if (result != SKCodecResult.Success)
        {
            throw new DataException($"{path}: cannot decode the {codec.EncodedFormat} image ({Describe(result)})");
        }
        if (gray && stride == 4)
        {
            var luma = scratch.Gray(width * height);
            ToLuma(buffer, luma, width * height);
            return new DecodedImage(luma, width, height, 1);
        }
        return new DecodedImage(buffer, width, height, stride);
    }

    /// <summary>The smallest size the codec can decode to that still holds the resized image, or the full size.</summary>
    private static (int Width, int Height) ScaledSize(SKCodec codec, Preprocess p)
    {
        var (w, h) = (codec.Info.Width, codec.Info.Height);
        if (codec.EncodedFormat is not (SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Webp))
        {
            return (w, h);
        }
        var (needW, needH) = ImageGeometry.ResizedSize(w, h, p);
        foreach (var scale in (ReadOnlySpan<float>)[0.125f, 0.25f, 0.5f])
        {
            var size = codec.GetScaledDimensions(scale);
            if (size.Width >= needW && size.Height >= needH && size.Width < w && size.Height < h)
            {
                return (size.Width, size.Height);
            }
        }
        return (w, h);
    }

    /// <summary>ITU-R 601 luma, in the fixed point PIL's convert("L") uses.</summary>
    private static void ToLuma(byte[] rgba, byte[] gray, int pixels)
    {
        for (int i = 0, j = 0; i < pixels; i++, j += 4)
        {
            gray[i] = (byte)(((rgba[j] * 19595) + (rgba[j + 1] * 38470) + (rgba[j + 2] * 7471) + 0x8000) >> 16);
        }
    }

    private static string Describe(SKCodecResult r) => r switch
    {
        SKCodecResult.IncompleteInput or SKCodecResult.ErrorInInput => "truncated or corrupt data",
        SKCodecResult.Unimplemented => "format not supported",
        SKCodecResult.CouldNotRewind or SKCodecResult.InternalError => "decoder failure",
        _ => r.ToString(),
    };
}

/// <summary>Buffers one decoding thread reuses from image to image (pinned, since Skia writes into them), and the
/// last geometry plan, which same-sized images share.</summary>
internal sealed class ImageScratch
{
    private byte[] _decoded = [];
    private byte[] _gray = [];
    private byte[] _resized = [];

    public ImageGeometry? Plan { get; set; }

    public byte[] Decoded(int bytes) => Grow(ref _decoded, bytes, pinned: true);

    public byte[] Gray(int bytes) => Grow(ref _gray, bytes, pinned: false);

    public byte[] Resized(int bytes) => Grow(ref _resized, bytes, pinned: false);

    private static byte[] Grow(ref byte[] buffer, int bytes, bool pinned)
    {
        if (buffer.Length < bytes)
        {
            buffer = GC.AllocateUninitializedArray<byte>(bytes, pinned);
        }
        return buffer;
    }
}
