using System.Globalization;
using EdgeCompress.Data.Tests.Support;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Data.Tests;

/// <summary>Fashion-MNIST exported as PNG class folders reads back as exactly the same floats and labels.</summary>
public sealed class FashionMnistExportTests : IDisposable
{
    private readonly DataFolderFixture _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void The_first_500_test_images_read_back_from_png_folders_exactly()
    {
        var dir = Path.Combine(_folder.Root, "fmnist");
        var counts = FashionMnistExport.Write("test", 500, dir, ExportFormat.Png);
        var expected = FashionMnist.Read("test", 500).ToArray();
        InputSpec input = new("input", TensorProto.Types.DataType.Float, [1, 1, 28, 28]);

        var spec = DataSpec.Parse(dir);
        var seen = 0;
        foreach (var sample in spec.Open([input]))
        {
            var index = int.Parse(Path.GetFileNameWithoutExtension(sample.Sources![0]), CultureInfo.InvariantCulture);
            Assert.Equal(expected[index].Pixels, sample.Inputs[0].Floats!);
            Assert.Equal(expected[index].Label, sample.Labels![0]);
            Assert.StartsWith(FashionMnist.FolderNames[expected[index].Label] + "/", sample.Sources[0], StringComparison.Ordinal);
            seen++;
        }

        Assert.Equal(500, seen);
        Assert.Equal(500, counts.Sum());
        Assert.Equal(FashionMnist.FolderNames, File.ReadAllLines(Path.Combine(dir, "labels.txt")));
        Assert.Equal("28x28 stretch, gray, scale 0.00392, nchw float32", spec.PreprocessFor([input])!.Describe());
        Assert.True(spec.IsLabelled);
    }

    [Fact]
    public void Exporting_into_a_folder_with_files_is_refused()
    {
        _folder.Text("keep.txt", "mine");

        var e = Assert.Throws<DataException>(() => FashionMnistExport.Write("test", 1, _folder.Root, ExportFormat.Png));

        Assert.Equal($"{_folder.Root}: is not empty; export into a new or empty folder", e.Message);
    }
}
