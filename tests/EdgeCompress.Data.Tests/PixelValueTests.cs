using EdgeCompress.Data.Tests.Support;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Data.Tests;

/// <summary>Values, channel order, layout and element type of image tensors, for a 4x2 PNG with known pixels.</summary>
public sealed class PixelValueTests : IDisposable
{
    private static readonly int[] Red = [10, 21, 30, 40, 50, 60, 70, 80];
    private readonly DataFolderFixture _folder = new();

    public PixelValueTests()
    {
        _folder.Rgb("img.png", 4, 2, [.. Red.SelectMany(r => new[] { (byte)r, (byte)(r + 100), (byte)(250 - r) })]);
    }

    public void Dispose() => _folder.Dispose();

    private static int Channel(int pixel, int c) => c switch { 0 => Red[pixel], 1 => Red[pixel] + 100, _ => 250 - Red[pixel] };

    [Fact]
    public void Bgr_nhwc_with_mean_and_std_gives_each_value_as_byte_times_scale_minus_mean_over_std()
    {
        _folder.Text("preprocess.json", """{"color": "bgr", "layout": "nhwc", "mean": [0.5, 0.4, 0.3], "std": [0.2, 0.25, 0.5]}""");
        double[] mean = [0.5, 0.4, 0.3], std = [0.2, 0.25, 0.5];

        var t = Open(TensorProto.Types.DataType.Float, [1, 2, 4, 3]);

        var expected = new float[24];
        for (var p = 0; p < 8; p++)
        {
            for (var c = 0; c < 3; c++)
            {
                expected[(p * 3) + c] = (float)(((Channel(p, 2 - c) * (1.0 / 255)) - mean[c]) / std[c]);
            }
        }
        Assert.Equal(expected, t.Floats!);
    }

    [Fact]
    public void Gray_from_a_colour_image_is_ITU_601_luma()
    {
        var t = Open(TensorProto.Types.DataType.Float, [1, 1, 2, 4]);

        var expected = Enumerable.Range(0, 8)
            .Select(p => ((Channel(p, 0) * 19595) + (Channel(p, 1) * 38470) + (Channel(p, 2) * 7471) + 0x8000) >> 16)
            .Select(v => v / 255f).ToArray();
        Assert.Equal(expected, t.Floats!);
        Assert.Equal(95 / 255f, t.Floats![0]); // 0.299 * 10 + 0.587 * 110 + 0.114 * 240 = 94.9
    }

    [Fact]
    public void A_uint8_input_gets_the_raw_bytes()
    {
        var t = Open(TensorProto.Types.DataType.Uint8, [1, 2, 4, 3]);

        Assert.Null(t.Floats);
        Assert.Equal(Enumerable.Range(0, 24).Select(i => (long)Channel(i / 3, i % 3)).ToArray(), t.Int64s!);
        Assert.Equal(TensorProto.Types.DataType.Uint8, t.ElementType);
    }

    [Fact]
    public void A_float16_input_gets_values_rounded_to_half_precision()
    {
        _folder.Text("preprocess.json", """{"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}""");

        var t = Open(TensorProto.Types.DataType.Float16, [1, 3, 2, 4]);

        var v = ((21 / 255.0) - 0.485) / 0.229;
        Assert.Equal((float)(Half)v, t.Floats![1]);
        Assert.NotEqual((float)v, t.Floats![1]);
        Assert.Equal(TensorProto.Types.DataType.Float16, t.ElementType);
    }

    [Fact]
    public void A_dynamic_batch_axis_takes_the_batch_size_and_a_short_last_batch()
    {
        for (var i = 0; i < 4; i++)
        {
            File.Copy(_folder.PathOf("img.png"), _folder.PathOf($"copy{i}.png"));
        }

        var batches = DataSpec.Parse(_folder.Root).Open([new InputSpec("x", TensorProto.Types.DataType.Float, [-1, 3, 2, 4])], batchSize: 2).ToList();

        Assert.Equal([2L, 2, 1], batches.Select(b => b.Inputs[0].Dims[0]));
        Assert.All(batches, b => Assert.Null(b.Labels));
        Assert.Equal(["copy0.png", "copy1.png", "copy2.png", "copy3.png", "img.png"], batches.SelectMany(b => b.Sources!));
    }

    private SampleTensor Open(TensorProto.Types.DataType type, long[] dims) =>
        Assert.Single(DataSpec.Parse(_folder.Root).Open([new InputSpec("x", type, dims)])).Inputs[0];
}
