using EdgeCompress.Compression.Quantization;
using EdgeCompress.Data;
using EdgeCompress.Calibration;

namespace EdgeCompress.Compression.Tests.Quantization;

public class CalibrationTests
{
    private static TensorHistogram Gaussian(int n, double sigma, int seed, params float[] outliers)
    {
        var r = new Random(seed);
        var h = new TensorHistogram();
        var batch = new float[1000];
        for (var done = 0; done < n; done += batch.Length)
        {
            for (var i = 0; i < batch.Length; i++)
            {
                batch[i] = (float)(sigma * Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble()));
            }
            h.Add(batch);
        }
        h.Add(outliers);
        return h;
    }

    [Fact]
    public void Minmax_range_is_exactly_the_extremes_seen()
    {
        var h = Gaussian(20_000, 1, 1, 40f, -3.5f);
        var range = h.RangeFor(CalibrationMethod.MinMax, 99.99);
        Assert.Equal(40f, range.Max);
        Assert.Equal(h.Min, range.Min);
    }

    [Fact]
    public void Percentile_99_99_clips_a_single_far_outlier_to_near_four_sigma()
    {
        var h = Gaussian(200_000, 1, 2, 50f);
        var range = h.RangeFor(CalibrationMethod.Percentile, 99.99);
        Assert.InRange(range.Max, 3.3f, 4.5f);
        Assert.InRange(range.Min, -4.5f, -3.3f);
    }

    [Fact]
    public void Entropy_threshold_clips_outliers_but_keeps_the_bulk_of_a_gaussian()
    {
        var h = Gaussian(200_000, 1, 3, 60f, 55f);
        var range = h.RangeFor(CalibrationMethod.Entropy, 0);
        Assert.InRange(range.Max, 2.0f, 8f);
    }

    [Fact]
    public void Histogram_keeps_its_size_when_later_batches_widen_the_range_a_thousandfold()
    {
        var h = new TensorHistogram();
        h.Add([0.001f, -0.002f, 0.0005f]);
        h.Add([2.5f, -1f]);
        Assert.Equal(5, h.Count);
        Assert.True(h.HalfRange >= 2.5);
        Assert.Equal(TensorHistogram.BinsPerSide, h.AbsoluteCounts().Length);
        Assert.Equal(5, h.AbsoluteCounts().Sum());
    }

    [Fact]
    public void Calibrating_on_two_thousand_samples_keeps_memory_bounded()
    {
        var model = TestModels.SmallCnn();
        GC.Collect();
        var before = GC.GetTotalMemory(true);
        var result = Calibrator.Collect(model, ["c1_relu", "c2_relu", "p1", "logits"], DataSpec.Parse("synthetic:2000"), batchSize: 50);
        var after = GC.GetTotalMemory(true);
        Assert.Equal(2000, result.Samples);
        // 2000 samples of c1_relu alone are 100 MB of floats; the histograms are a few hundred KB.
        Assert.True(after - before < 16 << 20, $"calibration kept {(after - before) >> 20} MB");
        Assert.All(result.Histograms.Values, h => Assert.True(h.Count > 0));
    }

    [Fact]
    public void A_small_memory_bound_splits_the_tensors_into_passes_and_sees_the_same_values()
    {
        var model = TestModels.SmallCnn();
        string[] tensors = ["c1_relu", "c2_relu", "p1", "logits"];
        var data = DataSpec.Parse("synthetic:64");
        var whole = Calibrator.Collect(model, tensors, data, batchSize: 16);
        var lines = new List<string>();
        // 64 KiB cannot hold c1_relu and c2_relu of even one sample together: one pass per group, batch 1.
        var split = Calibrator.Collect(model, tensors, data, batchSize: 16, progress: new SyncProgress(lines.Add), memoryBound: 64 << 10);
        var plan = Assert.Single(lines, l => l.Contains("pass(es) over the data", StringComparison.Ordinal));
        Assert.Matches(@"in ([2-9]|\d\d+) pass\(es\)", plan);
        Assert.Equal(whole.Samples, split.Samples);
        foreach (var name in tensors)
        {
            Assert.Equal(whole.Histograms[name].Count, split.Histograms[name].Count);
            Assert.Equal(whole.Histograms[name].Min, split.Histograms[name].Min);
            Assert.Equal(whole.Histograms[name].Max, split.Histograms[name].Max);
        }
    }

    [Fact]
    public void A_pass_runs_only_the_nodes_its_tensors_depend_on_and_sees_the_same_values()
    {
        var model = TestModels.SmallCnn();
        var upstream = EdgeCompress.Compression.Execution.ModelRunner.Upstream(model, ["c1_relu"]);
        Assert.Equal(["c1_relu"], upstream.Graph.Output.Select(o => o.Name));
        Assert.InRange(upstream.Graph.Node.Count, 1, model.Proto.Graph.Node.Count / 2);
        Assert.True(upstream.Graph.Initializer.Count < model.Proto.Graph.Initializer.Count, "the later layers' weights were copied");
        var sample = DataSpec.Parse("synthetic:1").Open(EdgeCompress.Compression.Execution.ModelInputs.Of(model), 1).First();
        using var full = EdgeCompress.Compression.Execution.ModelRunner.Create(model, "full", new() { ExtraOutputs = ["c1_relu"] });
        using var pass = EdgeCompress.Compression.Execution.ModelRunner.Create(model, "pass", new() { ExtraOutputs = ["c1_relu"], OnlyExtraOutputs = true });
        var expected = full.Run(sample).Single(o => o.Name == "c1_relu").Values;
        var got = Assert.Single(pass.Run(sample));
        Assert.Equal("c1_relu", got.Name);
        Assert.Equal(expected, got.Values);
    }

    [Fact]
    public void A_large_tensor_is_binned_like_value_by_value_and_skips_non_finite_values()
    {
        // 3.5 M values: several parallel chunks and a vector tail; NaN and infinities in the middle of a chunk.
        var r = new Random(7);
        var values = new float[3_500_003];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)((r.NextDouble() * 6) - 2);
        }
        values[1_234_567] = float.NaN;
        values[2_000_001] = float.PositiveInfinity;
        values[3_499_999] = float.NegativeInfinity;
        var h = new TensorHistogram();
        h.Add(values);
        Assert.Equal(values.Length - 3, h.Count);
        var finite = values.Where(float.IsFinite).ToArray();
        Assert.Equal(finite.Min(), h.Min);
        Assert.Equal(finite.Max(), h.Max);
        var expected = new double[2 * TensorHistogram.BinsPerSide];
        var perUnit = TensorHistogram.BinsPerSide / h.HalfRange;
        foreach (var v in finite)
        {
            expected[Math.Clamp((int)Math.Floor((v + h.HalfRange) * perUnit), 0, expected.Length - 1)]++;
        }
        var abs = new double[TensorHistogram.BinsPerSide];
        for (var i = 0; i < abs.Length; i++)
        {
            abs[i] = expected[TensorHistogram.BinsPerSide + i] + expected[TensorHistogram.BinsPerSide - 1 - i];
        }
        Assert.Equal(abs, h.AbsoluteCounts());
        // The same values in small batches (the scalar path) give the same histogram.
        var small = new TensorHistogram();
        small.Add(values.AsSpan(0, 100));
        small.Add(values.AsSpan(100));
        Assert.Equal(h.Count, small.Count);
    }

    [Fact]
    public void Evaluation_batches_shrink_with_the_activations_a_run_computes()
    {
        var model = TestModels.SmallCnn();
        var sample = DataSpec.Parse("synthetic:1").Open(EdgeCompress.Compression.Execution.ModelInputs.Of(model), 1).First();
        // 28x28 with 16 and 32 channels: about 170 KB of float tensors per sample, so 64 fit easily in 512 MiB.
        Assert.Equal(64, EdgeCompress.Compression.Execution.ActivationSizes.BatchFor(model, sample, 64));
        var small = EdgeCompress.Compression.Execution.ActivationSizes.BatchFor(model, sample, 64, bound: 1 << 20);
        Assert.InRange(small, 2, 16);
        Assert.Equal(1, EdgeCompress.Compression.Execution.ActivationSizes.BatchFor(model, sample, 64, bound: 1000));
    }

    private sealed class SyncProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }

    [Fact]
    public void Relu_output_range_starts_at_zero_so_the_zero_point_sits_at_the_lowest_level()
    {
        var p = QuantMath.ForActivation(new FloatRange(0, 6), ActivationType.S8);
        Assert.Equal(-128, p.ZeroPoint);
        Assert.Equal(6f / 255, p.Scale, 6);
        var u = QuantMath.ForActivation(new FloatRange(-1, 3), ActivationType.U8);
        Assert.Equal(64, u.ZeroPoint);
    }

    [Fact]
    public void Per_channel_weights_get_one_symmetric_scale_per_output_channel()
    {
        float[] w = [1, -2, 0.5f, 0.25f, 0, 0, 0, 0];
        var (q, scales) = QuantMath.QuantizeWeights(w, [4, 2], 0, reduceRange: false);
        Assert.Equal([2f / 127, 0.5f / 127, 1f, 1f], scales);
        Assert.Equal(new sbyte[] { 64, -127, 127, 64, 0, 0, 0, 0 }, q);
        var (q7, _) = QuantMath.QuantizeWeights(w, [4, 2], 0, reduceRange: true);
        Assert.Equal(-63, q7[1]);
    }
}
