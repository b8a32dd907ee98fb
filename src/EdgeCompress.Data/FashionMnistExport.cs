using System.Globalization;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace EdgeCompress.Data;

/// <summary>Image file formats the exporter writes.</summary>
public enum ExportFormat
{
    /// <summary>8-bit gray PNG: lossless, so the folder reads back exactly as the source.</summary>
    Png,

    /// <summary>8-bit gray JPEG at quality 95: lossy, for trying the JPEG path.</summary>
    Jpeg,
}

/// <summary>
/// Writes Fashion-MNIST as an image folder a user could have made: DIR/CLASS/INDEX.png (class folders named as
/// <see cref="FashionMnist.FolderNames"/>, INDEX the five-digit position in the split), labels.txt in class-index order
/// and a preprocess.json (28x28, gray, scale 1/255, nchw), so that <c>DataSpec.Parse(DIR)</c> gives the same floats
/// and labels as the fashion-mnist SPEC (for PNG, exactly).
/// </summary>
public static class FashionMnistExport
{
    /// <summary>The preprocessing the exported folder's preprocess.json holds.</summary>
    public static Preprocess Preprocess { get; } = new()
    {
        Size = new ImageSize(FashionMnist.Side, FashionMnist.Side),
        Color = ColorOrder.Gray,
        Scale = Preprocess.DefaultScale,
        Layout = TensorLayout.Nchw,
    };

    /// <summary>
    /// Exports <paramref name="split"/> ("train" or "test"), the first <paramref name="limit"/> images when given, into
    /// <paramref name="directory"/>, which must not exist or be empty. Returns the number of images per class.
    /// Throws <see cref="DataException"/> naming the folder or file on failure.
    /// </summary>
    public static IReadOnlyList<int> Write(string split, int? limit, string directory, ExportFormat format, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
        {
            throw new DataException($"{directory}: is not empty; export into a new or empty folder");
        }
        var counts = new int[FashionMnist.FolderNames.Count];
        try
        {
            foreach (var name in FashionMnist.FolderNames)
            {
                Directory.CreateDirectory(Path.Combine(directory, name));
            }
            var extension = format == ExportFormat.Png ? ".png" : ".jpg";
            var info = new SKImageInfo(FashionMnist.Side, FashionMnist.Side, SKColorType.Gray8, SKAlphaType.Opaque);
            var bytes = new byte[FashionMnist.Side * FashionMnist.Side];
            var handle = GCHandle.Alloc(bytes, GCHandleType.Pinned);
            try
            {
                var index = 0;
                foreach (var (pixels, label) in FashionMnist.Read(split, limit))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    for (var i = 0; i < bytes.Length; i++)
                    {
                        // Read gives byte / 255f; multiplying back and rounding recovers the byte exactly.
                        bytes[i] = (byte)Math.Round(pixels[i] * 255f);
                    }
                    var file = Path.Combine(directory, FashionMnist.FolderNames[label], index.ToString("D5", CultureInfo.InvariantCulture) + extension);
                    using (var pixmap = new SKPixmap(info, handle.AddrOfPinnedObject()))
                    using (var data = format == ExportFormat.Png ? pixmap.Encode(new SKPngEncoderOptions()) : pixmap.Encode(new SKJpegEncoderOptions(95)))
                    using (var stream = File.Create(file))
                    {
                        if (data is null)
                        {
                            throw new DataException($"{file}: SkiaSharp could not encode the image as {format}");
                        }
                        data.SaveTo(stream);
                    }
                    counts[label]++;
                    index++;
                    if (index % 1000 == 0)
                    {
                        progress?.Report(index);
                    }
                }
            }
            finally
            {
                handle.Free();
            }
            File.WriteAllLines(Path.Combine(directory, LabelFiles.ClassNamesFile), FashionMnist.FolderNames);
            File.WriteAllText(Path.Combine(directory, DataSpec.PreprocessFile), Preprocess.ToJson() + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"{directory}: cannot write the export ({e.Message})", e);
        }
        return counts;
    }
}
