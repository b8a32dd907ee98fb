using EdgeCompress.Data.Tests.Support;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Data.Tests;

/// <summary>Formats read, and JPEG decoding at reduced size when the target is much smaller.</summary>
public sealed class ImageDecoderTests : IDisposable
{
    private readonly DataFolderFixture _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData("a.png")]
    [InlineData("a.webp")]
    [InlineData("a.jpg")]
    public void A_solid_colour_reads_back_in_each_format(string name)
    {
        _folder.Solid(name, 16, 16, 200, 100, 50);

        var values = DataSpec.Parse(_folder.Root).Open([new InputSpec("x", TensorProto.Types.DataType.Float, [1, 3, 16, 16])]).Single().Inputs[0].Floats!;

        // JPEG is lossy: allow two levels.
        Assert.InRange(values[0] * 255, 198, 202);
        Assert.InRange(values[256] * 255, 98, 102);
        Assert.InRange(values[512] * 255, 48, 52);
    }

    [Fact]
    public void A_bmp_reads_back_exactly()
    {
        // 2x1 24-bit BMP, bottom-up BGR rows padded to 4 bytes: pixels (r,g,b) = (1,2,3) and (4,5,6).
        byte[] bmp = [
            (byte)'B', (byte)'M', 62, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0,
            40, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 24, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0x13, 0x0B, 0, 0, 0x13, 0x0B, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            3, 2, 1, 6, 5, 4, 0, 0];
        _folder.Bytes("a.bmp", bmp);

        var values = DataSpec.Parse(_folder.Root).Open([new InputSpec("x", TensorProto.Types.DataType.Uint8, [1, 3, 1, 2])]).Single().Inputs[0].Int64s!;

        Assert.Equal([1L, 4, 2, 5, 3, 6], values);
    }

    [Fact]
    public void A_large_jpeg_for_a_small_target_is_decoded_at_an_eighth()
    {
        var path = _folder.Solid("big.jpg", 800, 600, 10, 20, 30);
        var p = Preprocess.FromJson("""{"size": [64, 64], "resize": "shorter-side-then-center-crop"}""", "test")
            .ResolveFor(new InputSpec("x", TensorProto.Types.DataType.Float, [1, 3, 64, 64]));

        var image = ImageDecoder.Decode(path, p, gray: false, new ImageScratch());

        Assert.Equal((100, 75), (image.Width, image.Height));
    }

    [Fact]
    public void A_jpeg_only_a_little_larger_than_the_target_is_decoded_at_full_size()
    {
        var path = _folder.Solid("mid.jpg", 300, 300, 10, 20, 30);
        var p = Preprocess.DefaultFor(new InputSpec("x", TensorProto.Types.DataType.Float, [1, 3, 224, 224]));

        var image = ImageDecoder.Decode(path, p, gray: false, new ImageScratch());

        Assert.Equal((300, 300), (image.Width, image.Height));
    }
}
