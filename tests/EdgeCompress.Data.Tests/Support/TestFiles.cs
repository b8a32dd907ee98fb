using System.Runtime.InteropServices;
using System.Text;
using SkiaSharp;

namespace EdgeCompress.Data.Tests.Support;

/// <summary>A temporary data folder deleted after the test, with writers for the files a user would put in it.</summary>
public sealed class DataFolderFixture : IDisposable
{
    public DirectoryInfo Dir { get; } = Directory.CreateTempSubdirectory("edgec-data-");

    public string Root => Dir.FullName;

    public string PathOf(string relative)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    public string Text(string relative, string text)
    {
        var path = PathOf(relative);
        File.WriteAllText(path, text);
        return path;
    }

    public string Bytes(string relative, byte[] bytes)
    {
        var path = PathOf(relative);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Writes an RGB image (3 bytes per pixel, row by row) as PNG or JPEG (by extension).</summary>
    public string Rgb(string relative, int width, int height, byte[] rgb) =>
        Bytes(relative, TestImages.Encode(width, height, rgb, Path.GetExtension(relative)));

    /// <summary>Writes a one-colour RGB image.</summary>
    public string Solid(string relative, int width, int height, byte r, byte g, byte b) =>
        Rgb(relative, width, height, Enumerable.Range(0, width * height).SelectMany(_ => new[] { r, g, b }).ToArray());

    public void Dispose() => Dir.Delete(recursive: true);
}

/// <summary>Encodes test images with SkiaSharp (the decoder under test is SkiaSharp too, but PNG is lossless, so
/// what is written is what a correct decoder must give back).</summary>
public static class TestImages
{
    public static byte[] Encode(int width, int height, byte[] rgb, string extension)
    {
        var rgba = new byte[width * height * 4];
        for (int i = 0, j = 0; i < width * height; i++, j += 4)
        {
            (rgba[j], rgba[j + 1], rgba[j + 2], rgba[j + 3]) = (rgb[i * 3], rgb[(i * 3) + 1], rgb[(i * 3) + 2], 255);
        }
        var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try
        {
            using var pixmap = new SKPixmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul), handle.AddrOfPinnedObject());
            using var data = extension.ToLowerInvariant() switch
            {
                ".jpg" or ".jpeg" => pixmap.Encode(new SKJpegEncoderOptions(90)),
                ".webp" => pixmap.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossless, 100)),
                _ => pixmap.Encode(new SKPngEncoderOptions()),
            };
            return data?.ToArray() ?? throw new InvalidOperationException($"SkiaSharp could not encode {extension}");
        }
        finally
        {
            handle.Free();
        }
    }
}

/// <summary>Writes .npy files by the format's specification (independent of the reader under test).</summary>
public static class Npy
{
    public static byte[] Write(string descr, long[] shape, byte[] data, bool fortranOrder = false)
    {
        var dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        var dict = $"{{'descr': '{descr}', 'fortran_order': {(fortranOrder ? "True" : "False")}, 'shape': ({dims}), }}";
        var total = 10 + dict.Length + 1;
        var padded = dict + new string(' ', (64 - (total % 64)) % 64) + "\n";
        var header = Encoding.ASCII.GetBytes(padded);
        using var stream = new MemoryStream();
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y']);
        stream.WriteByte(1);
        stream.WriteByte(0);
        stream.Write(BitConverter.GetBytes((ushort)header.Length));
        stream.Write(header);
        stream.Write(data);
        return stream.ToArray();
    }

    public static byte[] Floats(long[] shape, float[] values) => Write("<f4", shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    public static byte[] Halves(long[] shape, float[] values) =>
        Write("<f2", shape, MemoryMarshal.AsBytes(values.Select(v => (Half)v).ToArray().AsSpan()).ToArray());

    public static byte[] Int64s(long[] shape, long[] values) => Write("<i8", shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
}
