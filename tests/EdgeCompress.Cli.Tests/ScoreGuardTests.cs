using EdgeCompress.Cli.Tests.Support;
using EdgeCompress.Manifest;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Cli.Tests;

/// <summary>
/// A wake-word style head (one sigmoid score) whose int8 copy loses its score: a pooled cosine called such a model
/// "cosine 1.00000". The guard judges the score by how far it moved and whether decisions agree, and optimize never
/// chooses a variant that fails it.
/// </summary>
public sealed class ScoreGuardTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgec-score-guard-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// x [N,2] -> hidden [N,2] = (1000 * x0, x1 - 0.5) -> score = sigmoid(20 * hidden1). The loud first unit sets the
    /// per-tensor int8 scale of the hidden activation (about 4 per step), so the quiet unit that decides the score
    /// quantizes to 0 and every int8 score reads 0.5.
    /// </summary>
    internal static string WriteScoreHead(string dir)
    {
        var g = new GraphProto { Name = "score-head" };
        g.Input.Add(Value("x", 2));
        g.Output.Add(Value("score", 1));
        g.Initializer.Add(TensorData.FromFloats("w1", [2, 2], [1000f, 0f, 0f, 1f]));
        g.Initializer.Add(TensorData.FromFloats("b1", [2], [0f, -0.5f]));
        g.Initializer.Add(TensorData.FromFloats("w2", [1, 2], [0f, 20f]));
        g.Initializer.Add(TensorData.FromFloats("b2", [1], [0f]));
        var fc1 = NodeAttributes.Create("Gemm", "fc1", ["x", "w1", "b1"], ["hidden"]);
        fc1.SetInt("transB", 1);
        var fc2 = NodeAttributes.Create("Gemm", "fc2", ["hidden", "w2", "b2"], ["logit"]);
        fc2.SetInt("transB", 1);
        g.Node.Add(fc1);
        g.Node.Add(fc2);
        g.Node.Add(NodeAttributes.Create("Sigmoid", "sigmoid", ["logit"], ["score"]));
        return GraphFiles.Save(g, dir, "score-head.onnx");
    }

    private static ValueInfoProto Value(string name, long width)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = width });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
    }

    [Fact]
    public async Task Optimize_marks_the_int8_score_head_as_failing_the_guard_and_never_chooses_it()
    {
        var model = WriteScoreHead(_dir);
        var outDir = Path.Combine(_dir, "opt");
        var run = await CliRunner.RunAsync("optimize", model, "--profile", "x64-host", "--data", "synthetic:64", "--out", outDir, "--time-budget", "5m");

        OptimizeAssert.ExitMatchesChoice(run.ExitCode, outDir, run.Stderr);
        var manifest = ManifestFile.Load(Path.Combine(outDir, ManifestFile.FileName));
        var int8 = manifest.Variants.Where(v => v.Id.Contains("int8", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(int8);
        foreach (var v in int8)
        {
            var score = Assert.Single(v.Outputs!);
            Assert.Equal("score", score.Kind);
            Assert.True(score.MaxAbsDifference > 0.1, $"{v.Id}: the int8 score moved by only {score.MaxAbsDifference}");
            Assert.StartsWith("'score' ", v.GuardFailure, StringComparison.Ordinal);
            Assert.False(v.MeetsBudget, $"{v.Id} passed the budget with {v.GuardFailure}");
        }
        Assert.DoesNotContain("int8", manifest.Chosen ?? "", StringComparison.Ordinal);
        Assert.Contains("guard:", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Quantize_prints_the_score_that_moved_and_fails_the_guard_instead_of_a_pooled_cosine_of_one()
    {
        var model = WriteScoreHead(_dir);
        var output = Path.Combine(_dir, "score.int8.onnx");
        var run = await CliRunner.RunAsync("quantize", model, "--out", output, "--mode", "static", "--calibration", "synthetic:64");

        // No budget given: the model is written, but the guard says what happened to the score, and warns.
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Matches(@"output 'score': score: max \|diff\| 0\.[1-9]\d*, mean \|diff\| \d\.\d+, decisions agree \d+\.\d% \(threshold 0\.5\)", run.Stdout);
        Assert.Contains("guard: FAIL by worst output: 'score'", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("warning: the quality guard fails by worst output", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("guard: pass", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Quantize_with_a_score_budget_exits_1_and_writes_nothing_when_the_score_moves_too_far()
    {
        var model = WriteScoreHead(_dir);
        var output = Path.Combine(_dir, "score.int8.onnx");
        var run = await CliRunner.RunAsync("quantize", model, "--out", output, "--mode", "static", "--calibration", "synthetic:64",
            "--max-score-diff", "0.1", "--per-tensor");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("edgec: quality budget missed: ", run.Stderr.Split('\n').Last(l => l.StartsWith("edgec:", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task A_metric_command_judges_the_model_in_its_own_units_and_fails_a_drop_above_max_drop()
    {
        var model = WriteScoreHead(_dir);
        var output = Path.Combine(_dir, "score.int8.onnx");
        // A stand-in for the user's evaluator: 0.93 for the original, an object with one number for any other file.
        var script = Path.Combine(_dir, "metric.sh");
        File.WriteAllText(script, "#!/bin/sh\ncase \"$1\" in *score-head.onnx) echo 0.93 ;; *) echo '{\"map\": 0.41}' ;; esac\n");
        var run = await CliRunner.RunAsync("quantize", model, "--out", output, "--mode", "dynamic",
            "--metric-command", $"sh {script} {{model}} {{data}}", "--max-drop", "0.05");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("metric (sh) 0.93 -> 0.41", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("guard: FAIL by metric (sh): metric (sh) 0.93 -> 0.41: worse by 0.52, more than the 0.05 allowed", run.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task A_metric_command_that_prints_no_number_is_a_one_line_input_error()
    {
        var model = WriteScoreHead(_dir);
        var run = await CliRunner.RunAsync("quantize", model, "--out", Path.Combine(_dir, "o.onnx"), "--mode", "dynamic",
            "--metric-command", "echo not-a-number {model}");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--metric-command printed no JSON number on score-head.onnx (last line: 'not-a-number ", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prune_prints_the_guard_without_being_asked_measured_on_random_inputs_and_says_so()
    {
        var model = WriteScoreHead(_dir);
        var output = Path.Combine(_dir, "p.onnx");
        var run = await CliRunner.RunAsync("prune", model, "--out", output, "--sparsity", "0.5", "--unstructured", "--all-layers");

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("quality vs the original on synthetic:32, 32 samples (random inputs", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("output 'score': score: max |diff|", run.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"guard: (pass|FAIL) by worst output", run.Stdout);
    }

    /// <summary>
    /// x [N,16] -> Gemm with 1e-9 weights (a vanished signal, as in a deep untrained detector) -> Relu -> Gemm to 10
    /// logits: the logits are the last bias whatever the input, so any candidate "matches" them.
    /// </summary>
    private static string WriteInputBlindModel(string dir)
    {
        var r = new Random(4);
        float[] Random(int n, double scale) => Enumerable.Range(0, n).Select(_ => (float)((r.NextDouble() - 0.5) * 2 * scale)).ToArray();
        var g = new GraphProto { Name = "input-blind" };
        g.Input.Add(Value("x", 16));
        g.Output.Add(Value("logits", 10));
        g.Initializer.Add(TensorData.FromFloats("w1", [32, 16], Random(512, 1e-9)));
        g.Initializer.Add(TensorData.FromFloats("b1", [32], Random(32, 1)));
        g.Initializer.Add(TensorData.FromFloats("w2", [10, 32], Random(320, 0.3)));
        g.Initializer.Add(TensorData.FromFloats("b2", [10], Random(10, 1)));
        var fc1 = NodeAttributes.Create("Gemm", "fc1", ["x", "w1", "b1"], ["h"]);
        fc1.SetInt("transB", 1);
        var fc2 = NodeAttributes.Create("Gemm", "fc2", ["a", "w2", "b2"], ["logits"]);
        fc2.SetInt("transB", 1);
        g.Node.Add(fc1);
        g.Node.Add(NodeAttributes.Create("Relu", "relu", ["h"], ["a"]));
        g.Node.Add(fc2);
        return GraphFiles.Save(g, dir, "input-blind.onnx");
    }

    [Fact]
    public async Task A_model_whose_output_ignores_the_input_is_not_called_faithful_and_a_budget_refuses_it()
    {
        var model = WriteInputBlindModel(_dir);
        var output = Path.Combine(_dir, "blind.pruned.onnx");

        var run = await CliRunner.RunAsync("prune", model, "--out", output, "--channels", "0.5", "--min-sqnr", "20");

        Assert.Equal(1, run.ExitCode);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(run.Stdout, @"output 'logits': logits: top-1 agrees 100\.0%, cosine [0-9.]+; but the original's output hardly changes with the input \(spread \d\.\de[+-]\d+ over 32 samples\), so these figures cannot judge quality"), run.Stdout + run.Stderr);
        Assert.Contains("'logits' of the original hardly changes with the input", run.Stderr + run.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }
}
