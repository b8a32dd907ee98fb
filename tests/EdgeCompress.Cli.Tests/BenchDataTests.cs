using System.Runtime.InteropServices;
using EdgeCompress.Cli.Commands;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Fleet;
using EdgeCompress.Protocol;

namespace EdgeCompress.Cli.Tests;

/// <summary>`edgec bench --data`: the user's samples run on the device, and its outputs are judged against this host's.</summary>
[Collection(FleetCliGroup.Name)]
public sealed class BenchDataTests(TwoDaemonsFixture daemons) : IDisposable
{
    private readonly FleetCliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Bench_data_on_a_device_sends_the_set_once_and_prints_per_output_agreement_with_the_host()
    {
        await FleetCliHarness.RunAsync("devices", "add", "datadev", daemons.Http.Url, "--token-file", daemons.Http.TokenFile);
        var model = FleetModels.WriteMlp(_cli.Root, "data-mlp.onnx", seed: 33);

        var first = await FleetCliHarness.RunAsync("bench", model, "--device", "datadev", "--data", "synthetic:6", "--iterations", "15");
        var second = await FleetCliHarness.RunAsync("bench", model, "--device", "datadev", "--data", "synthetic:6", "--iterations", "15");
        var records = new ResultsDatabase(_cli.ResultsFile).ReadAll().Select(run => run.Record).ToList();

        Assert.True(first.Exit == 0, first.Out + first.Error);
        Assert.Contains("outputs on datadev vs this host (", first.Out, StringComparison.Ordinal);
        Assert.Contains(", 6 samples of synthetic:6 (input set ", first.Out, StringComparison.Ordinal);
        Assert.Contains("cosine 1.00000", first.Out, StringComparison.Ordinal);
        Assert.Contains("  agrees within the quality guard's limits", first.Out, StringComparison.Ordinal);
        Assert.Contains("datadev: sending the input set (", first.Error, StringComparison.Ordinal);
        Assert.Equal(0, second.Exit);
        Assert.DoesNotContain("datadev: sending the input set", second.Error, StringComparison.Ordinal); // already on the device: not sent again
        Assert.Equal(2, records.Count);
        Assert.All(records, r =>
        {
            Assert.Equal((6, 15), (r.Result.InputSamples, r.Result.Count));
            Assert.Equal(r.Result.InputSet, r.Agreement!.InputSet);
            Assert.Null(r.Agreement.Failure);
            Assert.Equal(1.0, Assert.Single(r.Agreement.Outputs).Cosine, 6);
        });
    }

    [Fact]
    public async Task Bench_data_local_compares_the_engine_with_the_host_runner_and_bad_data_is_one_line()
    {
        var model = FleetModels.WriteMlp(_cli.Root, "data-local.onnx", seed: 34);

        var local = await FleetCliHarness.RunAsync("bench", model, "--device", "local", "--data", "synthetic:3", "--iterations", "5");
        var missing = await FleetCliHarness.RunAsync("bench", model, "--device", "local", "--data", Path.Combine(_cli.Root, "no-such-folder"));

        Assert.True(local.Exit == 0, local.Out + local.Error);
        Assert.Contains("outputs on local vs this host", local.Out, StringComparison.Ordinal);
        Assert.Equal(2, missing.Exit);
        Assert.StartsWith("edgec: data spec '", missing.Error, StringComparison.Ordinal);
        Assert.Single(missing.Error.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain("benchmarked", missing.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Outputs_that_disagree_with_the_host_fail_the_guard_and_say_which_output_and_by_how_much()
    {
        // Two samples of 4 logits; the device's second sample ranks another class first.
        float[][] host = [[0.1f, 2.0f, 0.3f, 0.4f], [3.0f, 0.2f, 0.1f, 0.0f]];
        float[][] device = [[0.1f, 2.0f, 0.3f, 0.4f], [0.2f, 3.0f, 0.1f, 0.0f]];
        var set = new InputSetFile("test", [Tensor("x", [1.0f]), Tensor("x", [2.0f])]);
        var prepared = new BenchData.Prepared(set, host.Select(h => (IReadOnlyList<RunOutput>)[new RunOutput("logits", [1, 4], h)]).ToList(), "this host");

        var agreement = BenchData.Compare(prepared, device.Select(d => (IReadOnlyList<WireTensor>)Tensor("logits", d, [1, 4])).ToList(), 0.5);
        var shapes = BenchData.Compare(prepared, device.Select(d => (IReadOnlyList<WireTensor>)Tensor("logits", d[..2], [1, 2])).ToList(), 0.5);

        var line = Assert.Single(agreement.Outputs);
        Assert.Equal(("logits", 50.0), (line.Kind, line.AgreementPercent));
        Assert.Contains("top-1 agrees 50.0%", line.Summary, StringComparison.Ordinal);
        Assert.NotNull(agreement.Failure);
        Assert.Contains("logits", agreement.Failure, StringComparison.Ordinal);
        Assert.Equal("sample 0, output 'logits': the device returned shape [1,2], the host [1,4]", shapes.Failure);
    }

    private static List<WireTensor> Tensor(string name, float[] values, long[]? dims = null) =>
        [new WireTensor(name, 1, dims ?? [1, values.Length], MemoryMarshal.AsBytes(values.AsSpan()).ToArray())];
}
