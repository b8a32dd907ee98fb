using EdgeCompress.Data.Tests.Support;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Data.Tests;

/// <summary>
/// A 4x2 PNG with known pixels through every resize mode; expected bytes worked out by hand from the documented
/// rule (bilinear, half-pixel centres, rounded half away from zero), each becoming byte / 255f.
/// Red: 10 21 30 40 / 50 60 70 80; green = red + 100; blue = 250 - red.
/// </summary>
public sealed class ResizeModeTests : IDisposable
{
    private static readonly int[] Red = [10, 21, 30, 40, 50, 60, 70, 80];
    private readonly DataFolderFixture _folder = new();

    public ResizeModeTests()
    {
        var rgb = Red.SelectMany(r => new[] { (byte)r, (byte)(r + 100), (byte)(250 - r) }).ToArray();
        _folder.Rgb("img.png", 4, 2, rgb);
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Stretch_to_2x2_averages_column_pairs_and_rounds_half_away_from_zero()
    {
        var values = Open("""{"size": [2, 2], "resize": "stretch"}""", 2, 2);

        AssertBytes(values, [16, 35, 55, 75], [116, 135, 155, 175], [235, 215, 195, 175]);
    }

    [Fact]
    public void Shorter_side_then_center_crop_to_2x2_keeps_the_middle_two_columns()
    {
        var values = Open("""{"size": [2, 2], "resize": "shorter-side-then-center-crop"}""", 2, 2);

        AssertBytes(values, [21, 30, 60, 70], [121, 130, 160, 170], [229, 220, 190, 180]);
    }

    [Fact]
    public void Letterbox_to_4x4_centres_the_image_between_rows_of_114()
    {
        var values = Open("""{"size": [4, 4], "resize": "letterbox"}""", 4, 4);

        int[] pad = [114, 114, 114, 114];
        AssertBytes(values,
            [.. pad, 10, 21, 30, 40, 50, 60, 70, 80, .. pad],
            [.. pad, 110, 121, 130, 140, 150, 160, 170, 180, .. pad],
            [.. pad, 240, 229, 220, 210, 200, 190, 180, 170, .. pad]);
    }

    [Fact]
    public void Letterbox_to_2x2_halves_the_image_into_the_top_row_and_pads_the_bottom_row()
    {
        // Scale 0.5 gives 2x1, offset (2 - 1) / 2 = 0; each pixel is the mean of a 2x2 block: 35.25 -> 35, 214.75 -> 215.
        var values = Open("""{"size": [2, 2], "resize": "letterbox"}""", 2, 2);

        AssertBytes(values, [35, 55, 114, 114], [135, 155, 114, 114], [215, 195, 114, 114]);
    }

    [Fact]
    public void Keep_aspect_pad_to_4x4_pads_the_bottom_with_zeros()
    {
        var values = Open("""{"size": [4, 4], "resize": "keep-aspect-pad"}""", 4, 4);

        int[] pad = [0, 0, 0, 0];
        AssertBytes(values,
            [10, 21, 30, 40, 50, 60, 70, 80, .. pad, .. pad],
            [110, 121, 130, 140, 150, 160, 170, 180, .. pad, .. pad],
            [240, 229, 220, 210, 200, 190, 180, 170, .. pad, .. pad]);
    }

    [Fact]
    public void Keep_aspect_pad_centred_with_pad_value_7_pads_top_and_bottom_with_7()
    {
        var values = Open("""{"size": [4, 4], "resize": "keep-aspect-pad", "align": "center", "padValue": 7}""", 4, 4);

        int[] pad = [7, 7, 7, 7];
        AssertBytes(values,
            [.. pad, 10, 21, 30, 40, 50, 60, 70, 80, .. pad],
            [.. pad, 110, 121, 130, 140, 150, 160, 170, 180, .. pad],
            [.. pad, 240, 229, 220, 210, 200, 190, 180, 170, .. pad]);
    }

    [Fact]
    public void Stretch_to_the_same_size_gives_every_pixel_exactly()
    {
        var values = Open("""{"size": [2, 4]}""", 2, 4);

        AssertBytes(values, Red, [.. Red.Select(r => r + 100)], [.. Red.Select(r => 250 - r)]);
    }

    private float[] Open(string preprocessJson, int height, int width)
    {
        _folder.Text("preprocess.json", preprocessJson);
        var spec = DataSpec.Parse(_folder.Root);
        var sample = Assert.Single(spec.Open([new InputSpec("x", TensorProto.Types.DataType.Float, [1, 3, height, width])]));
        Assert.Equal([1L, 3, height, width], sample.Inputs[0].Dims);
        return sample.Inputs[0].Floats!;
    }

    private static void AssertBytes(float[] actual, int[] red, int[] green, int[] blue)
    {
        float[] expected = [.. red.Concat(green).Concat(blue).Select(v => v / 255f)];
        Assert.Equal(expected, actual);
    }
}
