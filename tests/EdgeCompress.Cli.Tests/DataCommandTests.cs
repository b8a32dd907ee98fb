using EdgeCompress.Cli.Tests.Support;

namespace EdgeCompress.Cli.Tests;

/// <summary>`edgec data export` and `edgec data bench` as a user runs them.</summary>
public class DataCommandTests
{
    [Fact]
    public async Task Export_writes_class_folders_labels_and_preprocess_and_says_so()
    {
        using var temp = new TempFolder();
        var dir = temp.PathOf("fm");

        var r = await CliRunner.RunAsync("data", "export", "fashion-mnist:test@50", "--out", dir);

        Assert.Equal(0, r.ExitCode);
        Assert.Contains($"wrote 50 PNG images of fashion-mnist:test@50 to {dir}", r.Stdout, StringComparison.Ordinal);
        Assert.Equal(50, Directory.GetFiles(dir, "*.png", SearchOption.AllDirectories).Length);
        Assert.Equal(["Ankle_boot", "Bag", "Coat", "Dress", "Pullover", "Sandal", "Shirt", "Sneaker", "T-shirt_top", "Trouser"], Directory.GetDirectories(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal("""{"size":[28,28],"scale":0.00392156862745098,"color":"gray","layout":"nchw"}""", File.ReadAllText(Path.Combine(dir, "preprocess.json")).Trim());
    }

    [Fact]
    public async Task Exporting_anything_but_fashion_mnist_is_a_usage_error()
    {
        var r = await CliRunner.RunAsync("data", "export", "synthetic:4", "--out", "unused");

        Assert.Equal(2, r.ExitCode);
        Assert.Equal("edgec: data export: 'synthetic:4' is not fashion-mnist:train or fashion-mnist:test; only the built-in data set can be exported", r.StderrLines.Single());
    }

    [Fact]
    public async Task Bench_reports_images_per_second_and_peak_memory_of_an_exported_folder()
    {
        using var temp = new TempFolder();
        var dir = temp.PathOf("fm");
        await CliRunner.RunAsync("data", "export", "fashion-mnist:test@64", "--out", dir);

        var r = await CliRunner.RunAsync("data", "bench", dir, "--batch", "16", "--passes", "1");

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("28x28 stretch, gray, scale 0.00392, nchw float32", r.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"pass 1: 64 images in [0-9.]+ s = [0-9]+ images/s", r.Stdout);
        Assert.Matches(@"peak RSS [0-9.]+ MiB \(VmHWM\)", r.Stdout);
    }

    [Fact]
    public async Task A_bad_preprocess_file_is_exit_2_naming_the_file_and_field()
    {
        using var temp = new TempFolder();
        var dir = temp.PathOf("fm");
        await CliRunner.RunAsync("data", "export", "fashion-mnist:test@4", "--out", dir);
        var bad = temp.Write("p.json", "{\"resize\":\"zoom\"}"u8.ToArray());

        var r = await CliRunner.RunAsync("data", "bench", dir, "--preprocess", bad);

        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"edgec: {bad}: field 'resize' is 'zoom'; use stretch, shorter-side-then-center-crop, letterbox or keep-aspect-pad", r.StderrLines.Single());
    }
}
