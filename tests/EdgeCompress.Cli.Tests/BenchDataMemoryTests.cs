using EdgeCompress.Cli.Commands;

namespace EdgeCompress.Cli.Tests;

/// <summary>`bench --data` keeps the host's outputs to judge the device's by: that memory is bounded.</summary>
public sealed class BenchDataMemoryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgec-benchdata-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Host_outputs_kept_for_comparing_stay_within_the_memory_bound()
    {
        // A Fashion-MNIST image in, a dense 1x64x28x28 map out: 3 KiB + 196 KiB a sample; a bound of 1 MiB holds 5.
        var model = new EdgeCompress.Testing.ModelBuilder().Input("x", 1, 1, 28, 28).Weight("w", 64, 1, 1, 1)
            .Node("Conv", ["x", "w"], ["y"]).Output("y", 1, 64, 28, 28).Build();
        var path = Path.Combine(_dir, "dense.onnx");
        model.Save(path);
        using var notes = new StringWriter();

        var prepared = BenchData.Prepare(model, path, EdgeCompress.Data.DataSpec.Parse("fashion-mnist:test"), notes, memoryBound: 1 << 20);
        var refused = Assert.Throws<EdgeCompress.Data.DataException>(() =>
            BenchData.Prepare(model, path, EdgeCompress.Data.DataSpec.Parse("fashion-mnist:test@8"), TextWriter.Null, memoryBound: 1 << 20));

        Assert.Equal(5, prepared.HostOutputs.Count);
        Assert.Contains("5 samples sent, not 32: a sample's inputs and outputs are 199.1 KiB here, and this host keeps at most 1.00 MiB", notes.ToString(), StringComparison.Ordinal);
        Assert.EndsWith("more than the 1.00 MiB this host keeps for comparing outputs; use @5 or fewer", refused.Message, StringComparison.Ordinal);
    }
}
