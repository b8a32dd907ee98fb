using EdgeCompress.Cli;
using EdgeCompress.Onnx;

namespace EdgeCompress.Training.Tests;

/// <summary>
/// Runs one small feature-distillation job and one plain distillation job (same student, same seed) for the tests
/// below: teacher the committed baseline (act8.out is 64x14x14), student its half-width copy (act8.out is 32x14x14,
/// so a 1x1 conv adapter is needed).
/// </summary>
public sealed class FeatureDistillRuns : IAsyncLifetime
{
    public static string Teacher => Path.Combine(AppContext.BaseDirectory, "models", "fmnist-baseline.onnx");

    public string Dir { get; } = TestModels.TempDir();

    public string WithFeatures => Path.Combine(Dir, "with-features.onnx");

    public string Plain => Path.Combine(Dir, "plain.onnx");

    public TrainingResult FeatureResult { get; private set; } = null!;

    public List<TrainingProgress> FeatureProgress { get; } = [];

    /// <summary>The worker's log lines from the feature run.</summary>
    public List<string> FeatureLog { get; } = [];

    /// <summary>The teacher file before the runs (its graph gets extra outputs, in memory only).</summary>
    public byte[] TeacherBefore { get; private set; } = [];

    public static WorkerRequest Request(string output, int steps, params FeaturePair[] features) => new()
    {
        Command = "distill",
        TeacherPath = Teacher,
        Arch = "thin@0.5",
        Data = "fashion-mnist:train@1536",
        OutputPath = output,
        Epochs = 2,
        BatchSize = 64,
        Seed = 3,
        MaxSteps = steps,
        Features = features,
    };

    public async Task InitializeAsync()
    {
        TeacherBefore = await File.ReadAllBytesAsync(Teacher);
        var progress = new SyncRecorder(FeatureProgress);
        var client = new TrainingClient();
        client.Log += line =>
        {
            lock (FeatureLog)
            {
                FeatureLog.Add(line);
            }
        };
        FeatureResult = await client.RunAsync(Request(WithFeatures, 48, new FeaturePair("act8.out", "act8.out")), progress, CancellationToken.None);
        await new TrainingClient().RunAsync(Request(Plain, 2), null, CancellationToken.None);
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>What `edgec distill --feature` does for a user: the hint loss falls, the model stays the student's.</summary>
[Collection("worker")]
[Trait("Category", "training")]
public class FeatureDistillTests(FeatureDistillRuns runs) : IClassFixture<FeatureDistillRuns>
{
    [Fact]
    public void Feature_loss_falls_by_a_tenth_or_more_over_48_steps_and_is_reported_in_progress()
    {
        var r = runs.FeatureResult;
        Assert.Equal(48, r.Steps);
        Assert.NotNull(r.FirstFeatureLoss);
        // First and last 20 of 48 steps do not overlap.
        Assert.True(r.LastFeatureLoss < 0.9 * r.FirstFeatureLoss, $"feature loss went {r.FirstFeatureLoss:F4} -> {r.LastFeatureLoss:F4}");
        Assert.True(r.LastLoss < r.FirstLoss, $"total loss went {r.FirstLoss:F3} -> {r.LastLoss:F3}");
        Assert.Contains(runs.FeatureProgress, p => p.Phase == "train" && p.FeatureLoss > 0);
        Assert.Contains("feature loss", ProgressText.Format(runs.FeatureProgress.Last(p => p.Phase == "train")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exported_student_has_exactly_the_graph_of_a_plain_distillation_runs_in_onnx_runtime_and_the_teacher_is_untouched()
    {
        Assert.Equal(runs.TeacherBefore, await File.ReadAllBytesAsync(FeatureDistillRuns.Teacher));
        var featured = OnnxModel.Load(runs.WithFeatures).Proto;
        var plain = OnnxModel.Load(runs.Plain).Proto;

        Assert.Equal(plain.Graph.Node.Select(n => $"{n.OpType} {n.Name}"), featured.Graph.Node.Select(n => $"{n.OpType} {n.Name}"));
        Assert.Equal(plain.Graph.Initializer.Select(i => $"{i.Name} {string.Join('x', i.Dims)}"), featured.Graph.Initializer.Select(i => $"{i.Name} {string.Join('x', i.Dims)}"));
        Assert.Equal(["logits"], featured.Graph.Output.Select(o => o.Name));
        Assert.Contains(featured.MetadataProps, e => e.Key == "edgec.distill.features" && e.Value == "act8.out=act8.out");
        Assert.DoesNotContain(plain.MetadataProps, e => e.Key == "edgec.distill.features");

        var (logits, dims) = TestModels.Run(runs.WithFeatures, new float[2 * 784], [2, 1, 28, 28]);
        Assert.Equal([2, 10], dims);
        Assert.All(logits, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void The_feature_run_reports_how_often_the_teacher_agrees_with_the_labels()
    {
        var line = Assert.Single(runs.FeatureLog, l => l.Contains("agrees with the training labels", StringComparison.Ordinal));
        Assert.Matches(@"^teacher fmnist-baseline\.onnx agrees with the training labels on (9\d|100)\.\d\d ?%$", line);
    }

    [Fact]
    public async Task Re_distilling_a_feature_distilled_student_without_features_drops_the_old_feature_record()
    {
        var output = Path.Combine(TestModels.TempDir(), "again.onnx");
        Assert.Contains(OnnxModel.Load(runs.WithFeatures).Proto.MetadataProps, e => e.Key == "edgec.distill.features");

        await new TrainingClient().RunAsync(FeatureDistillRuns.Request(output, 2) with { ModelPath = runs.WithFeatures, Arch = null }, null, CancellationToken.None);

        var meta = OnnxModel.Load(output).Proto.MetadataProps.ToDictionary(e => e.Key, e => e.Value);
        Assert.DoesNotContain(meta.Keys, k => k.StartsWith("edgec.distill.", StringComparison.Ordinal));
        Assert.Equal("fmnist-baseline.onnx", meta["edgec.teacher"]);
        Assert.Equal("fashion-mnist:train@1536", meta["edgec.trained.data"]);
    }

    [Fact]
    public async Task Interrupted_feature_distillation_keeps_its_adapter_in_the_checkpoint_and_resumes()
    {
        var output = Path.Combine(TestModels.TempDir(), "resumed.onnx");
        var pair = new FeaturePair("act8.out", "act8.out");
        using var cts = new CancellationTokenSource();
        var stopper = new Stopper(cts);
        var first = await new TrainingClient().RunAsync(FeatureDistillRuns.Request(output, 24, pair), stopper, cts.Token);

        Assert.True(first.Cancelled);
        Assert.True(File.Exists(Path.Combine(output + ".ckpt", "adapters.bin")), "the 1x1 conv adapter is part of the training state");
        Assert.False(File.Exists(output));

        // Resuming as a run without the feature pair is an input error that says why, and keeps the checkpoint.
        var mismatch = await Assert.ThrowsAsync<TrainingException>(() =>
            new TrainingClient().RunAsync(FeatureDistillRuns.Request(output, 24) with { Resume = true }, null, CancellationToken.None));
        Assert.Equal(TrainingErrorKind.Input, mismatch.Kind);
        Assert.Contains("written by a run with --feature act8.out=act8.out, this run is without --feature", mismatch.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(output + ".ckpt", "adapters.bin")));

        var second = await new TrainingClient().RunAsync(FeatureDistillRuns.Request(output, 24, pair) with { Resume = true }, null, CancellationToken.None);
        Assert.False(second.Cancelled);
        Assert.True(second.Steps < 24, $"resume ran {second.Steps} steps");
        Assert.NotNull(second.LastFeatureLoss);
        Assert.Contains(OnnxModel.Load(output).Proto.MetadataProps, e => e.Key == "edgec.distill.features");
    }

    private sealed class Stopper(CancellationTokenSource cts) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.Phase == "train" && value.Step >= 1)
            {
                cts.Cancel();
            }
        }
    }

    private static async Task<(int Code, string Err)> Edgec(params string[] args)
    {
        var stderr = new StringWriter();
        var code = await EdgecApp.RunAsync(args, new StringWriter(), stderr);
        return (code, stderr.ToString());
    }

    private static string[] Distill(string output, string pair) =>
        ["distill", "--teacher", FeatureDistillRuns.Teacher, "--arch", "thin@0.5", "--data", "fashion-mnist:train@64", "--eval", "none",
         "--epochs", "1", "--out", output, "--feature", pair];

    [Fact]
    public async Task Unknown_tensor_name_exits_2_with_one_line_naming_it_the_model_and_candidates()
    {
        var output = Path.Combine(TestModels.TempDir(), "s.onnx");
        var (code, err) = await Edgec(Distill(output, "act8.out=no_such_tensor"));

        Assert.Equal(2, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains("student --arch thin@0.5 has no tensor 'no_such_tensor'", err, StringComparison.Ordinal);
        Assert.Contains("act8.out (Nx32x14x14)", err, StringComparison.Ordinal);
        Assert.False(File.Exists(output));

        var (teacherCode, teacherErr) = await Edgec(Distill(output, "conv99=act8.out"));
        Assert.Equal(2, teacherCode);
        Assert.Contains("fmnist-baseline.onnx has no tensor 'conv99'", teacherErr, StringComparison.Ordinal);
        Assert.Contains("act8.out (Nx64x14x14)", teacherErr, StringComparison.Ordinal);

        var (syntaxCode, syntaxErr) = await Edgec(Distill(output, "act8.out"));
        Assert.Equal(2, syntaxCode);
        Assert.Contains("expected TEACHER_TENSOR=STUDENT_TENSOR", syntaxErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pair_with_different_spatial_sizes_exits_2_naming_both_tensors_and_shapes()
    {
        var output = Path.Combine(TestModels.TempDir(), "s.onnx");
        var (code, err) = await Edgec(Distill(output, "act4.out=act12.out"));

        Assert.Equal(2, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains("teacher tensor 'act4.out' is Nx32x28x28 but student tensor 'act12.out' is Nx64x7x7", err, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }
}
