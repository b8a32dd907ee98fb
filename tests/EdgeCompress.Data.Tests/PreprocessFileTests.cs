using EdgeCompress.Data.Tests.Support;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Data.Tests;

/// <summary>preprocess.json: reading, defaults from the model, round trip through metadata JSON, and the one-line
/// errors a user sees for a bad file or a file that does not fit the model.</summary>
public sealed class PreprocessFileTests : IDisposable
{
    private static readonly InputSpec Rgb224 = new("images", TensorProto.Types.DataType.Float, [1, 3, 224, 224]);
    private readonly DataFolderFixture _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Without_a_file_an_nchw_model_input_gets_stretch_rgb_scale_1_over_255()
    {
        var p = Preprocess.DefaultFor(Rgb224);

        Assert.Equal("224x224 stretch, rgb, scale 0.00392, nchw float32", p.Describe());
    }

    [Fact]
    public void Without_a_file_a_one_channel_nhwc_input_is_read_as_gray_nhwc()
    {
        var p = Preprocess.DefaultFor(new InputSpec("x", TensorProto.Types.DataType.Uint8, [-1, 28, 28, 1]));

        Assert.Equal("28x28 stretch, gray, raw bytes, nhwc uint8", p.Describe());
    }

    [Fact]
    public void A_dynamic_height_without_size_names_the_input_and_asks_for_size()
    {
        var e = Assert.Throws<DataException>(() => Preprocess.DefaultFor(new InputSpec("pixel_values", TensorProto.Types.DataType.Float, [1, 3, -1, -1])));

        Assert.Contains("model input 'pixel_values'", e.Message, StringComparison.Ordinal);
        Assert.Contains("give \"size\"", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_describes_itself_and_survives_the_metadata_round_trip()
    {
        var path = _folder.Text("p.json", """
            { "size": [224, 224], "resize": "shorter-side-then-center-crop",
              "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225] }
            """);

        var resolved = Preprocess.Load(path).ResolveFor(Rgb224);
        var back = Preprocess.FromJson(resolved.ToJson(), Preprocess.MetadataKey);

        Assert.Equal("224x224 shorter-side-then-center-crop, rgb, scale 0.00392, mean [0.485,0.456,0.406], std [0.229,0.224,0.225], nchw float32", resolved.Describe());
        Assert.Equal(resolved.ToJson(), back.ToJson());
        Assert.DoesNotContain(" ", resolved.ToJson(), StringComparison.Ordinal);
        Assert.Equal(1.0 / 255, back.Scale);
        Assert.Equal("edgec.preprocess", Preprocess.MetadataKey);
    }

    [Theory]
    [InlineData("""{"sise": [224, 224]}""", "unknown field 'sise'")]
    [InlineData("""{"resize": "crop"}""", "field 'resize' is 'crop'; use stretch, shorter-side-then-center-crop, letterbox or keep-aspect-pad")]
    [InlineData("""{"padValue": 300}""", "field 'padValue' must be a whole pixel value from 0 to 255, not 300")]
    [InlineData("""{"padValue": 127.5}""", "field 'padValue' must be a whole pixel value from 0 to 255, not 127.5 (padding is applied to the pixels, before scale, mean and std)")]
    [InlineData("""{"scale": "1/255"}""", "field 'scale' must be a number")]
    [InlineData("""{"size": [224]}""", "field 'size' must be [height, width]")]
    [InlineData("""{"size": "224"}""", "field 'size' must be [height, width], two whole numbers")]
    [InlineData("""{"std": [0.2, 0, 0.2]}""", "field 'std' must list 1 or 3 positive numbers")]
    [InlineData("""{"color": "gray", "mean": [0.5, 0.5, 0.5]}""", "field 'mean' has 3 values but color gray has 1 channel(s)")]
    [InlineData("""{"dtype": "uint8", "scale": 1}""", "field 'scale' does not apply to dtype uint8")]
    [InlineData("""{"layout": "chw"}""", "field 'layout' is 'chw'; use nchw or nhwc")]
    public void A_bad_field_is_one_line_naming_the_file_and_the_field(string json, string expected)
    {
        var path = _folder.Text("preprocess.json", json);

        var e = Assert.Throws<DataException>(() => Preprocess.Load(path));

        Assert.StartsWith($"{path}: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gray_file_for_a_three_channel_model_names_the_file_and_the_model_input()
    {
        _folder.Solid("a.png", 4, 4, 1, 2, 3);
        var path = _folder.Text("preprocess.json", """{"color": "gray"}""");
        var spec = DataSpec.Parse(_folder.Root);

        var e = Assert.Throws<DataException>(() => spec.Open([Rgb224]).First());

        Assert.Equal($"{path}: color gray gives 1 channel(s) but model input 'images' float32 [1x3x224x224] has 3 on its nchw channel axis (dim 1)", e.Message);
    }

    [Fact]
    public void A_size_other_than_the_models_fixed_size_names_both()
    {
        var e = Assert.Throws<DataException>(() => Preprocess.FromJson("""{"size": [256, 256]}""", "my.json").ResolveFor(Rgb224));

        Assert.Equal("my.json: size 256x256 does not match model input 'images' float32 [1x3x224x224], whose fixed height x width is 224x224 (nchw)", e.Message);
    }

    [Fact]
    public void An_nhwc_file_for_an_nchw_model_is_a_layout_mismatch()
    {
        var e = Assert.Throws<DataException>(() => Preprocess.FromJson("""{"layout": "nhwc"}""", "my.json").ResolveFor(Rgb224));

        Assert.Contains("my.json: color rgb gives 3 channel(s) but model input 'images'", e.Message, StringComparison.Ordinal);
        Assert.Contains("has 224 on its nhwc channel axis (dim 3)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_preprocess_given_to_Parse_wins_over_the_folders_preprocess_json()
    {
        _folder.Solid("a.png", 2, 2, 255, 0, 0);
        _folder.Text("preprocess.json", """{"color": "bgr"}""");

        var spec = DataSpec.Parse(_folder.Root, Preprocess.FromJson("""{"scale": 1}""", "--preprocess"));
        var tensor = spec.Open([new InputSpec("x", TensorProto.Types.DataType.Float, [1, 3, 2, 2])]).Single().Inputs[0];

        Assert.Equal("--preprocess", spec.PreprocessFor([Rgb224 with { Dims = [1, 3, 2, 2] }])!.Source);
        Assert.Equal([255f, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0], tensor.Floats!);
    }
}
