using EdgeCompress.Manifest;
using EdgeCompress.Compression.Passes;
using EdgeCompress.Compression.Search;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Profiles;

namespace EdgeCompress.Compression.Tests.Search;

public sealed class OptimizeRunnerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgec-optimize-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A real pass for exercising the search: adds seeded noise of a given size to every float weight.</summary>
    private sealed class NoisePass(double scale) : ICompressionPass
    {
        public string Name => "noise";

        public PassResult Apply(OnnxModel model, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
        {
            var copy = new OnnxModel(model.Proto.Clone());
            var r = new Random(1);
            foreach (var t in copy.Proto.Graph.Initializer)
            {
                var v = TensorData.ToFloats(t);
                for (var i = 0; i < v.Length; i++)
                {
                    v[i] += (float)(scale * ((r.NextDouble() * 2) - 1));
                }
                TensorData.SetValues<float>(t, t.Dims.ToArray(), v);
            }
            var record = new PassRecord(Name);
            record.Settings["scale"] = scale.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return new PassResult(copy, record);
        }
    }

    private sealed record NoiseStep : PassStep
    {
        [System.Text.Json.Serialization.JsonIgnore]
        public override string Pass => "noise";

        public double Scale { get; init; }

        public override void Validate()
        {
        }
    }

    private sealed record FailStep : PassStep
    {
        [System.Text.Json.Serialization.JsonIgnore]
        public override string Pass => "fail";

        public string Kind { get; init; } = "refusal";

        public override void Validate()
        {
        }
    }

    /// <summary>A step whose pass this build does not register.</summary>
    private sealed record AbsentStep : PassStep
    {
        [System.Text.Json.Serialization.JsonIgnore]
        public override string Pass => "absent";

        public override void Validate()
        {
        }
    }

    /// <summary>The registry of the test passes, counting the passes it builds.</summary>
    private sealed class NoiseCatalog
    {
        public NoiseCatalog() => Registry = new PassRegistry()
            .Register<NoiseStep>((s, _) => Count(new NoisePass(s.Scale)))
            .Register<FailStep>((s, _) => Count(new FailingPass(s.Kind)));

        public PassRegistry Registry { get; }

        public int Created { get; private set; }

        private ICompressionPass Count(ICompressionPass pass)
        {
            Created++;
            return pass;
        }

        public static implicit operator PassRegistry(NoiseCatalog catalog) => catalog.Registry;
    }

    /// <summary>A pass that fails the way real ones do: a refusal, or a bug the search did not foresee.</summary>
    private sealed class FailingPass(string kind) : ICompressionPass
    {
        public string Name => "fail";

        public PassResult Apply(OnnxModel model, IProgress<string>? progress = null, CancellationToken cancellationToken = default) =>
            throw (kind == "refusal"
                ? new WorkFailedException("channel pruning removed nothing from model.onnx")
                : new KeyNotFoundException("The given key 'conv9' was not present in the dictionary."));
    }

    private sealed class CountingMeasurer(IVariantMeasurer inner) : IVariantMeasurer
    {
        public int Calls { get; private set; }

        public Task<VariantMeasurement> MeasureAsync(string modelPath, string baselinePath, IProgress<string>? progress, CancellationToken cancellationToken)
        {
            Calls++;
            return inner.MeasureAsync(modelPath, baselinePath, progress, cancellationToken);
        }
    }

    private void Select(OptimizeManifest manifest, string dataSpec, double maxDrop, EdgeCompress.Compression.Evaluation.MetricCommand? metric = null) =>
        OptimizeRunner.Select(manifest, new OptimizeOptions
        {
            ModelPath = "model.onnx",
            OutputDirectory = _dir,
            Profile = ProfileStore.Default().Load("x64-host"),
            DataSpec = dataSpec,
            MaxAccuracyDropPoints = maxDrop,
            Metric = metric,
        });

    private static Recipe Noise(string id, double scale) =>
        new(id, [new NoiseStep { Scale = scale }], "test");

    private OptimizeOptions Options(string model, IReadOnlyList<Recipe> recipes, TimeSpan? budget = null) => new()
    {
        ModelPath = model,
        OutputDirectory = Path.Combine(_dir, "out"),
        Profile = ProfileStore.Default().Load("x64-host"),
        DataSpec = "synthetic:16",
        Recipes = recipes,
        TimeBudget = budget ?? TimeSpan.FromMinutes(5),
    };

    private string SaveModel()
    {
        var path = Path.Combine(_dir, "model.onnx");
        TestModels.SmallCnn().Save(path);
        return path;
    }

    [Theory]
    [InlineData(0.0110, "int8")]   // int8 copy 10% slower than the pruned fp32 model but 3.7x smaller: both gains >= 2.3x
    [InlineData(0.0200, "fp32")]   // int8 copy only 1.25x faster than the baseline: fp32's 1.9x size and 2.5x speed win
    [InlineData(0.0101, "int8")]
    public void The_choice_maximises_the_smaller_of_speed_up_and_size_reduction(double int8Ms, string expected)
    {
        static ManifestVariant V(string id, double p50, long bytes, double accuracy) =>
            new() { Id = id, SizeBytes = bytes, AccuracyPercent = accuracy, Latency = new ManifestLatency { P50Ms = p50, Source = "measured" } };
        var manifest = new OptimizeManifest
        {
            Variants = [V("baseline", 0.0250, 626_579, 92.43), V("fp32", 0.0100, 322_000, 91.99), V("int8", int8Ms, 86_000, 91.95), V("too-lossy", 0.0060, 60_000, 91.70)],
        };
        Select(manifest, "fashion-mnist:test", 0.5);

        Assert.Equal(expected, manifest.Chosen);
        Assert.False(manifest.Variants.Single(v => v.Id == "too-lossy").MeetsBudget);
        Assert.Contains("best balance within the budget", manifest.ChosenReason, StringComparison.Ordinal);
    }

    [Fact]
    public void With_labels_accuracy_decides_the_guard_and_the_per_output_agreement_is_only_recorded()
    {
        static ManifestVariant V(string id, double accuracy, double agreement) => new()
        {
            Id = id, SizeBytes = 100_000, AccuracyPercent = accuracy, Latency = new ManifestLatency { P50Ms = 0.01, Source = "measured" },
            Outputs = [new ManifestOutput { Name = "logits", Kind = "logits", Cosine = 0.999, AgreementPercent = agreement }],
        };
        var manifest = new OptimizeManifest { Variants = [V("baseline", 92.05, 100), V("entropy", 92.40, 98.4), V("pruned", 90.75, 96.0)] };
        Select(manifest, "fashion-mnist:test", 0.5);

        var entropy = manifest.Variants.Single(v => v.Id == "entropy");
        Assert.Null(entropy.GuardFailure);
        Assert.True(entropy.MeetsBudget);
        Assert.Equal("top-1 92.05% -> 90.75%: 1.30 pt lost, more than the 0.5 pt allowed", manifest.Variants.Single(v => v.Id == "pruned").GuardFailure);
    }

    [Theory]
    [InlineData(2.7, null)]    // int8 4x smaller but measured 2.7x slower (as a real OCR classifier was on this host): not chosen
    [InlineData(0.8, "int8")]  // int8 faster and smaller: chosen
    public void A_variant_measured_slower_than_the_baseline_is_never_chosen(double int8Ms, string? expected)
    {
        static ManifestVariant V(string id, double p50, long bytes) =>
            new() { Id = id, SizeBytes = bytes, AccuracyPercent = 98.7, Latency = new ManifestLatency { P50Ms = p50, Source = "measured", Where = "local" } };
        // The baseline misses the size budget (500 MiB on x64-host), so only the speed rule keeps a slower int8 out.
        var manifest = new OptimizeManifest { Variants = [V("baseline", 1.0, 600L << 20), V("int8", int8Ms, 150L << 20)] };
        Select(manifest, "cls-data", 1);

        var int8 = manifest.Variants.Single(v => v.Id == "int8");
        Assert.Equal(expected, manifest.Chosen);
        if (expected is null)
        {
            Assert.Equal("measured 0.37x: slower than the baseline (local)", int8.NotChosenBecause);
        }
        else
        {
            Assert.Null(int8.NotChosenBecause);
        }
    }

    [Theory]
    [InlineData(true, 98.49, "int8")]   // metric 99.18 -> 98.49, within --max-drop 1
    [InlineData(true, 97.90, null)]     // 1.28 worse: over the budget
    [InlineData(false, 1.40, null)]     // lower is better (an error rate): 0.71 -> 1.40 is worse by 0.69... and the budget is 0.5
    public void A_metric_command_decides_the_budget_in_its_own_units(bool higherIsBetter, double int8Metric, string? expected)
    {
        static ManifestVariant V(string id, double p50, long bytes, double metric) =>
            new() { Id = id, SizeBytes = bytes, MetricValue = metric, Latency = new ManifestLatency { P50Ms = p50, Source = "measured", Where = "local" } };
        var baselineMetric = higherIsBetter ? 99.18 : 0.71;
        var manifest = new OptimizeManifest { Variants = [V("baseline", 6.0, 10_800_000, baselineMetric), V("int8", 2.0, 2_850_000, int8Metric)] };
        Select(manifest, "rec-data", higherIsBetter ? 1 : 0.5, new EdgeCompress.Compression.Evaluation.MetricCommand("node metric.js {model} {data}", higherIsBetter));

        Assert.Equal(expected, manifest.Chosen);
        Assert.Equal("node metric.js {model} {data}", manifest.Metric);
        var int8 = manifest.Variants.Single(v => v.Id == "int8");
        if (expected is null)
        {
            Assert.StartsWith($"metric (node) {baselineMetric} -> {int8Metric}: worse by", int8.GuardFailure, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("metric (node) 98.49 (baseline 99.18)", manifest.ChosenReason, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData(15.0, true)]
    public void Without_labels_a_dense_output_is_held_to_the_min_sqnr_given(double? minSqnr, bool meets)
    {
        static ManifestVariant V(string id, double? sqnr) => new()
        {
            Id = id, SizeBytes = 100_000, Latency = new ManifestLatency { P50Ms = 0.01, Source = "measured" },
            Outputs = [new ManifestOutput { Name = "mask", Kind = "dense", Cosine = 0.995, SqnrDb = sqnr }],
        };
        var manifest = new OptimizeManifest { Variants = [V("baseline", null), V("int8", 18.2)] };
        var defaults = new EdgeCompress.Compression.Evaluation.GuardLimits();
        OptimizeRunner.Select(manifest, new OptimizeOptions
        {
            ModelPath = "model.onnx",
            OutputDirectory = _dir,
            Profile = ProfileStore.Default().Load("x64-host"),
            DataSpec = "synthetic:16",
            GuardLimits = defaults with { MinSqnrDb = minSqnr ?? defaults.MinSqnrDb },
        });

        var int8 = manifest.Variants.Single(v => v.Id == "int8");
        Assert.Equal(meets, int8.MeetsBudget);
        Assert.Equal(meets ? null : "'mask' SQNR 18.2 dB (at least 20 dB needed)", int8.GuardFailure);
    }

    [Fact]
    public async Task A_failing_candidate_is_recorded_with_its_reason_an_identical_one_is_dropped_and_the_search_goes_on()
    {
        static Recipe Fail(string id, string kind) => new(id, [new FailStep { Kind = kind }], "test");
        var refusedThenNoise = new Recipe("refused+noise", [.. Fail("refused", "refusal").Steps, .. Noise("x", 1e-4).Steps], "test");
        var options = Options(SaveModel(), [Fail("refused", "refusal"), refusedThenNoise, Fail("buggy", "bug"), Noise("tiny-noise", 1e-4), Noise("same-noise", 1e-4)]);
        var progress = new List<string>();
        var outcome = await new OptimizeRunner(new NoiseCatalog(), new LocalMeasurer(DataSpec.Parse("synthetic:16"), iterations: 20, targetSeconds: 0))
            .RunAsync(options, new SyncList(progress));

        var manifest = ManifestFile.Load(outcome.ManifestPath);
        Assert.Equal(new[] { "baseline", "tiny-noise" }, manifest.Variants.Select(v => v.Id));
        Assert.Equal("failed: channel pruning removed nothing from model.onnx", manifest.Skipped.Single(s => s.Id == "refused").Reason);
        Assert.Equal("failed: KeyNotFoundException: The given key 'conv9' was not present in the dictionary.", manifest.Skipped.Single(s => s.Id == "buggy").Reason);
        Assert.Equal("not tried: its first step refused failed", manifest.Skipped.Single(s => s.Id == "refused+noise").Reason);
        Assert.Equal("identical to tiny-noise (same file bytes)", manifest.Skipped.Single(s => s.Id == "same-noise").Reason);
        Assert.False(File.Exists(Path.Combine(_dir, "out", "variants", "same-noise.onnx")));
        Assert.Contains(progress, p => p.Contains("buggy: failed (KeyNotFoundException", StringComparison.Ordinal) && p.EndsWith("going on", StringComparison.Ordinal));
        Assert.NotNull(manifest.Chosen);
        Assert.True(File.Exists(Path.Combine(_dir, "out", "chosen.onnx")));
    }

    private sealed class SyncList(List<string> lines) : IProgress<string>
    {
        public void Report(string value) => lines.Add(value);
    }

    [Fact]
    public async Task Every_candidate_is_kept_and_the_budget_decides_which_one_is_chosen()
    {
        var options = Options(SaveModel(), [Noise("tiny-noise", 1e-4), Noise("huge-noise", 0.5), new Recipe("needs-missing", [new AbsentStep()], "test")]);
        var outcome = await new OptimizeRunner(new NoiseCatalog(), new LocalMeasurer(DataSpec.Parse("synthetic:16"), iterations: 20, targetSeconds: 0)).RunAsync(options);

        var manifest = ManifestFile.Load(outcome.ManifestPath);
        Assert.Equal(new[] { "baseline", "tiny-noise", "huge-noise" }, manifest.Variants.Select(v => v.Id));
        var skip = Assert.Single(manifest.Skipped);
        Assert.Equal("pass 'absent' is not available in this build", skip.Reason);
        var huge = manifest.Variants.Single(v => v.Id == "huge-noise");
        Assert.False(huge.MeetsBudget, "outputs far from the baseline's must miss the fidelity budget");
        Assert.True(manifest.Variants.Single(v => v.Id == "tiny-noise").FidelityCosine > 0.999);
        Assert.NotNull(manifest.Chosen);
        Assert.NotEqual("huge-noise", manifest.Chosen);
        foreach (var v in manifest.Variants)
        {
            var file = Path.Combine(options.OutputDirectory, v.File);
            Assert.Equal(ManifestFile.Sha256Of(file), v.Sha256);
            Assert.Equal("measured", v.Latency!.Source);
        }
        Assert.True(File.Exists(Path.Combine(options.OutputDirectory, "chosen.onnx")));
    }

    [Fact]
    public async Task A_spent_time_budget_still_writes_the_manifest_and_a_rerun_resumes_without_remeasuring()
    {
        var model = SaveModel();
        var measurer = new CountingMeasurer(new LocalMeasurer(DataSpec.Parse("synthetic:8"), iterations: 10, targetSeconds: 0));
        var recipes = new[] { Noise("a", 1e-4), Noise("b", 2e-4) };

        await new OptimizeRunner(new NoiseCatalog(), measurer).RunAsync(Options(model, recipes, TimeSpan.Zero));
        var first = ManifestFile.Load(Path.Combine(_dir, "out", "manifest.json"));
        Assert.Equal(new[] { "baseline" }, first.Variants.Select(v => v.Id));
        Assert.All(first.Skipped, s => Assert.StartsWith("time budget", s.Reason, StringComparison.Ordinal));
        Assert.Equal(1, measurer.Calls);

        await new OptimizeRunner(new NoiseCatalog(), measurer).RunAsync(Options(model, recipes));
        var second = ManifestFile.Load(Path.Combine(_dir, "out", "manifest.json"));
        Assert.Equal(new[] { "baseline", "a", "b" }, second.Variants.Select(v => v.Id));
        Assert.Empty(second.Skipped);
        Assert.Equal(3, measurer.Calls);
    }

    [Fact]
    public async Task A_recipe_that_extends_a_kept_one_starts_from_its_file_instead_of_redoing_its_passes()
    {
        var model = SaveModel();
        var step = Noise("a", 1e-3).Steps[0];
        var then = Noise("x", 2e-3).Steps[0];
        var recipes = new[] { new Recipe("a", [step], "test"), new Recipe("a+b", [step, then], "test") };
        var catalog = new NoiseCatalog();
        var progress = new List<string>();

        await new OptimizeRunner(catalog, new LocalMeasurer(DataSpec.Parse("synthetic:8"), iterations: 5, targetSeconds: 0))
            .RunAsync(Options(model, recipes), new SyncProgress(progress.Add));
        var manifest = ManifestFile.Load(Path.Combine(_dir, "out", "manifest.json"));

        Assert.Equal(2, catalog.Created);
        Assert.Contains("a+b: starting from a", progress);
        var both = manifest.Variants.Single(v => v.Id == "a+b");
        Assert.Equal(["noise", "noise"], both.Passes.Select(p => p.Pass));
        Assert.Equal(["0.001", "0.002"], both.Passes.Select(p => p.Settings["scale"]));
    }

    [Fact]
    public void With_training_the_grid_ends_with_a_distilled_student_and_its_int8_version()
    {
        var profile = ProfileStore.Default().Load("rpi5");

        var with = CandidateGrid.For(profile, matMulHeavy: false, canFineTune: true);
        var without = CandidateGrid.For(profile, matMulHeavy: false, canFineTune: false);

        Assert.Equal(["student-thin-0.5", "student-thin-0.5+int8"], with.TakeLast(2).Select(r => r.Id));
        Assert.Equal("distill-student", with[^1].Steps[0].Pass);
        Assert.DoesNotContain(without, r => r.Id.StartsWith("student", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_int8_candidate_records_each_layers_sensitivity_most_sensitive_first()
    {
        var model = SaveModel();
        var int8 = CandidateGrid.For(ProfileStore.Default().Load("x64-host"), matMulHeavy: false, canFineTune: false).First(r => r.Id == "int8");
        var options = Options(model, [int8]);

        await new OptimizeRunner(DefaultPasses.Registry(), new LocalMeasurer(DataSpec.Parse("synthetic:16"), iterations: 5, targetSeconds: 0)).RunAsync(options);
        var manifest = ManifestFile.Load(Path.Combine(_dir, "out", "manifest.json"));
        var variant = manifest.Variants.Single(v => v.Id == "int8");
        var baseline = manifest.Variants.Single(v => v.Id == "baseline");

        // Each candidate is timed interleaved with the baseline; the baseline against itself is exactly 1.
        Assert.Equal(1.0, baseline.Latency!.SpeedupVsBaseline);
        Assert.InRange(variant.Latency!.SpeedupVsBaseline!.Value, 0.05, 20);
        Assert.Equal(variant.Latency.SpeedupVsBaseline, variant.SpeedupOver(baseline));

        Assert.NotNull(variant.Sensitivity);
        Assert.True(variant.Sensitivity!.Count >= 2, $"{variant.Sensitivity.Count} layers ranked");
        Assert.All(variant.Sensitivity, l => Assert.True(l.Value is >= 0 and < 1, $"{l.Node}: {l.Value}"));
        Assert.Equal(variant.Sensitivity.OrderByDescending(l => l.Value).Select(l => l.Node), variant.Sensitivity.Select(l => l.Node));
        Assert.Contains("only this layer is int8", variant.Sensitivity[0].Metric, StringComparison.Ordinal);
    }

    private sealed class SyncProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }

    [Fact]
    public void A_variant_that_is_worse_on_every_axis_is_not_on_the_pareto_front()
    {
        var front = ParetoFront.Of([
            new TradeoffPoint("fast", 90, 1, 100),
            new TradeoffPoint("accurate", 92, 2, 100),
            new TradeoffPoint("worse", 89, 3, 200),
        ]);
        Assert.Equal(new[] { "accurate", "fast" }, front.Order());
    }
}
