using System.Globalization;
using EdgeCompress.Data.Tests.Support;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Data.Tests;

/// <summary>@N on image folders: in proportion across classes, spread over each class's files, deterministic.</summary>
public sealed class SelectionTests : IDisposable
{
    private static readonly InputSpec Input = new("x", TensorProto.Types.DataType.Float, [-1, 3, 1, 1]);
    private readonly DataFolderFixture _folder = new();

    public void Dispose() => _folder.Dispose();

    private void Images(string prefix, int count)
    {
        for (var i = 0; i < count; i++)
        {
            _folder.Solid(string.Create(CultureInfo.InvariantCulture, $"{prefix}{i:D2}.png"), 1, 1, (byte)i, 0, 0);
        }
    }

    [Fact]
    public void At_12_of_classes_of_10_20_and_30_takes_2_4_and_6()
    {
        Images("a/", 10);
        Images("b/", 20);
        Images("c/", 30);

        var labels = Open("@12").SelectMany(s => s.Labels!).ToList();

        Assert.Equal(12, labels.Count);
        Assert.Equal([2, 4, 6], Enumerable.Range(0, 3).Select(c => labels.Count(l => l == c)));
    }

    [Fact]
    public void Each_class_share_is_spread_over_its_files_not_its_first_files()
    {
        Images("a/", 10);
        Images("b/", 20);
        Images("c/", 30);

        var sources = Open("@12").SelectMany(s => s.Sources!).ToList();

        // Class a gives 2 of 10: positions (0.5 * 10 / 2) = 2 and (1.5 * 10 / 2) = 7.
        Assert.Equal(["a/02.png", "a/07.png"], sources.Where(s => s.StartsWith("a/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_first_batch_mixes_the_classes()
    {
        Images("a/", 10);
        Images("b/", 20);
        Images("c/", 30);

        var first = Open("", batchSize: 6).First().Labels!;

        Assert.Equal([0, 1, 2], first.Distinct().Order());
    }

    [Fact]
    public void The_same_spec_takes_the_same_files_every_time_and_a_remainder_goes_to_one_class()
    {
        Images("a/", 10);
        Images("b/", 10);
        Images("c/", 10);

        var once = Open("@4").SelectMany(s => s.Sources!).ToList();
        var again = Open("@4").SelectMany(s => s.Sources!).ToList();

        Assert.Equal(once, again);
        Assert.Equal(4, once.Count);
        var perClass = once.GroupBy(s => s[0]).Select(g => g.Count()).Order().ToList();
        Assert.Equal([1, 1, 2], perClass);
    }

    [Fact]
    public void Unlabelled_at_5_of_20_takes_every_fourth_file_from_the_third()
    {
        Images("", 20);

        var sources = Open("@5").SelectMany(s => s.Sources!).ToList();

        Assert.Equal(["02.png", "06.png", "10.png", "14.png", "18.png"], sources);
    }

    private List<Sample> Open(string suffix, int batchSize = 64) =>
        DataSpec.Parse(_folder.Root + suffix).Open([Input], batchSize).ToList();
}
