using EdgeCompress.Cli.Tests.Support;
using EdgeCompress.Compression.Manifest;
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
        var m = new ModelProto { IrVersion = 8, Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });
        var path = Path.Combine(dir, "score-head.onnx");
        new OnnxModel(m).Save(path);
        return path;
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

        Assert.True(run.ExitCode is 0 or 1, run.Stderr);
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
}
