using EdgeCompress.Data.Tests.Support;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Data.Tests;

/// <summary>Where image labels come from (class folders, labels.txt, labels.csv) and the errors for files that cannot
/// be used.</summary>
public sealed class ImageLabelTests : IDisposable
{
    private static readonly InputSpec Input = new("x", TensorProto.Types.DataType.Float, [-1, 3, 2, 2]);
    private readonly DataFolderFixture _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Class_folders_are_labelled_by_their_sorted_names()
    {
        _folder.Solid("dog/1.png", 2, 2, 200, 0, 0);
        _folder.Solid("cat/1.png", 2, 2, 100, 0, 0);
        _folder.Solid("cat/2.png", 2, 2, 100, 0, 0);

        var spec = DataSpec.Parse(_folder.Root);
        var rows = Rows(spec);

        Assert.Equal(DataKind.ImageFolder, spec.Kind);
        Assert.True(spec.IsLabelled);
        Assert.Equal(["cat", "dog"], spec.ClassNames()!);
        Assert.All(rows, r => Assert.Equal(r.Source.StartsWith("cat/", StringComparison.Ordinal) ? 0 : 1, r.Label));
        Assert.All(rows, r => Assert.Equal(r.Label == 0 ? 100 / 255f : 200 / 255f, r.FirstValue));
        Assert.Equal(3, rows.Count);
    }

    [Fact]
    public void Labels_txt_sets_the_class_index_of_each_folder()
    {
        _folder.Solid("dog/1.png", 2, 2, 200, 0, 0);
        _folder.Solid("cat/1.png", 2, 2, 100, 0, 0);
        _folder.Text("labels.txt", "dog\ncat\nbird\n");

        var rows = Rows(DataSpec.Parse(_folder.Root));

        Assert.Equal(1, rows.Single(r => r.Source == "cat/1.png").Label);
        Assert.Equal(0, rows.Single(r => r.Source == "dog/1.png").Label);
    }

    [Fact]
    public void A_class_folder_missing_from_labels_txt_is_named()
    {
        _folder.Solid("dog/1.png", 2, 2, 200, 0, 0);
        _folder.Solid("cat/1.png", 2, 2, 100, 0, 0);
        var txt = _folder.Text("labels.txt", "dog\n");

        var e = Assert.Throws<DataException>(() => DataSpec.Parse(_folder.Root).Open([Input]).ToList());

        Assert.Equal($"{Path.Combine(_folder.Root, "cat")}: class folder 'cat' is not listed in {txt}", e.Message);
    }

    [Fact]
    public void Labels_csv_labels_flat_images_by_index_or_by_class_name()
    {
        _folder.Solid("a.png", 2, 2, 1, 0, 0);
        _folder.Solid("b.jpg", 2, 2, 2, 0, 0);
        _folder.Text("labels.txt", "plane\ncar\n");
        _folder.Text("labels.csv", "file,label\na.png,1\nb.jpg,plane\n");

        var spec = DataSpec.Parse(_folder.Root);
        var rows = Rows(spec);

        Assert.True(spec.IsLabelled);
        Assert.Equal([("a.png", 1), ("b.jpg", 0)], rows.Select(r => (r.Source, r.Label)).OrderBy(r => r.Source, StringComparer.Ordinal));
    }

    [Fact]
    public void A_file_without_a_row_in_labels_csv_is_named()
    {
        _folder.Solid("a.png", 2, 2, 1, 0, 0);
        var missing = _folder.Solid("b.png", 2, 2, 2, 0, 0);
        var csv = _folder.Text("labels.csv", "a.png,3\n");

        var e = Assert.Throws<DataException>(() => DataSpec.Parse(_folder.Root).Open([Input]).ToList());

        Assert.Equal($"{missing}: has no label in {csv} (add a row 'b.png,LABEL')", e.Message);
    }

    [Fact]
    public void Flat_images_without_labels_csv_are_unlabelled()
    {
        _folder.Solid("a.png", 2, 2, 1, 0, 0);

        var spec = DataSpec.Parse(_folder.Root);

        Assert.False(spec.IsLabelled);
        Assert.Null(spec.Open([Input]).Single().Labels);
    }

    [Fact]
    public void A_file_that_is_not_an_image_is_named()
    {
        _folder.Solid("a.png", 2, 2, 1, 0, 0);
        var bad = _folder.Text("b.png", "this is not a PNG");

        var e = Assert.Throws<DataException>(() => DataSpec.Parse(_folder.Root).Open([Input]).ToList());

        Assert.StartsWith($"{bad}: not a decodable PNG, JPEG, BMP or WebP image", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_jpeg_is_named()
    {
        var rgb = Enumerable.Range(0, 64 * 64 * 3).Select(i => (byte)(i * 7)).ToArray();
        var full = TestImages.Encode(64, 64, rgb, ".jpg");
        var bad = _folder.Bytes("cut.jpg", full[..(full.Length / 2)]);

        var e = Assert.Throws<DataException>(() => DataSpec.Parse(_folder.Root).Open([Input]).ToList());

        Assert.StartsWith($"{bad}: ", e.Message, StringComparison.Ordinal);
    }

    private static List<(string Source, int Label, float FirstValue)> Rows(DataSpec spec) =>
        spec.Open([Input], batchSize: 2)
            .SelectMany(s => s.Sources!.Select((src, i) => (src, s.Labels![i], s.Inputs[0].Floats![i * 12])))
            .ToList();
}
