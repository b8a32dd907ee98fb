using EdgeCompress.Cli.Tests.Support;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Cli.Tests;

/// <summary>
/// An audio front end with a dynamic sample axis ([N, 1, T]): random inputs cannot size T, so every verb that runs
/// the model takes --input-shape, works at that size, and writes a model whose T is still dynamic.
/// </summary>
[Trait("Category", "heavy")]
public sealed class InputShapeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgec-input-shape-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>audio [N,1,T] -> Conv1d 1->16 k9 s4 -> Relu -> Conv1d 16->16 k3 -> Relu -> mean over T -> Gemm 16->4 -> logits [N,4].</summary>
    private string WriteAudioNet()
    {
        var random = new Random(7);
        float[] Weights(int n, double scale) => Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() - 0.5) * 2 * scale)).ToArray();
        var g = new GraphProto { Name = "audio-front-end" };
        var inShape = new TensorShapeProto();
        inShape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        inShape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = 1 });
        inShape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "T" });
        g.Input.Add(new ValueInfoProto { Name = "audio", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = inShape } } });
        var outShape = new TensorShapeProto();
        outShape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        outShape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = 4 });
        g.Output.Add(new ValueInfoProto { Name = "logits", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = outShape } } });
        g.Initializer.Add(TensorData.FromFloats("w1", [16, 1, 9], Weights(16 * 9, 0.5)));
        g.Initializer.Add(TensorData.FromFloats("b1", [16], Weights(16, 0.1)));
        g.Initializer.Add(TensorData.FromFloats("w2", [16, 16, 3], Weights(16 * 16 * 3, 0.3)));
        g.Initializer.Add(TensorData.FromFloats("b2", [16], Weights(16, 0.1)));
        g.Initializer.Add(TensorData.FromFloats("w3", [4, 16], Weights(64, 1)));
        g.Initializer.Add(TensorData.FromFloats("b3", [4], Weights(4, 0.1)));
        var conv1 = NodeAttributes.Create("Conv", "conv1", ["audio", "w1", "b1"], ["c1"]);
        conv1.SetInts("strides", [4]);
        g.Node.Add(conv1);
        g.Node.Add(NodeAttributes.Create("Relu", "relu1", ["c1"], ["r1"]));
        g.Node.Add(NodeAttributes.Create("Conv", "conv2", ["r1", "w2", "b2"], ["c2"]));
        g.Node.Add(NodeAttributes.Create("Relu", "relu2", ["c2"], ["r2"]));
        var mean = NodeAttributes.Create("ReduceMean", "pool", ["r2"], ["pooled"]);
        mean.SetInts("axes", [2]);
        mean.SetInt("keepdims", 0);
        g.Node.Add(mean);
        var fc = NodeAttributes.Create("Gemm", "fc", ["pooled", "w3", "b3"], ["logits"]);
        fc.SetInt("transB", 1);
        g.Node.Add(fc);
        return GraphFiles.Save(g, _dir, "audio.onnx");
    }

    private static string SampleAxis(string path) =>
        OnnxModel.Load(path).Graph.RealInputs.Single().Type.TensorType.Shape.Dim[2] is var d && d.HasDimParam ? d.DimParam : $"fixed {d.DimValue}";

    /// <summary>The model written still runs on a length it was never compressed at.</summary>
    private static void RunsAtAnotherLength(string path)
    {
        using var runner = ModelRunner.Create(OnnxModel.Load(path), Path.GetFileName(path));
        var sample = new Sample([new SampleTensor("audio", [2, 1, 4000], new float[8000], null, TensorProto.Types.DataType.Float)], null);
        Assert.Equal(8, runner.Run(sample)[0].Values.Length);
    }

    [Fact]
    public async Task Without_input_shape_the_dynamic_sample_axis_is_an_input_error_naming_the_input_and_axis()
    {
        var model = WriteAudioNet();
        var run = await CliRunner.RunAsync("quantize", model, "--out", Path.Combine(_dir, "q.onnx"), "--calibration", "synthetic:8");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("input 'audio' [?,1,?] has a dynamic axis 2", run.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "q.onnx")));
    }

    [Fact]
    public async Task Quantize_prune_and_eval_work_at_the_given_length_and_keep_the_axis_dynamic()
    {
        var model = WriteAudioNet();
        var shape = new[] { "--input-shape", "audio=1x1x16000" };

        var q = Path.Combine(_dir, "q.onnx");
        var quantize = await CliRunner.RunAsync(["quantize", model, "--out", q, "--calibration", "synthetic:8", .. shape]);
        Assert.True(quantize.ExitCode == 0, quantize.Stderr);
        Assert.Contains("quality vs the original on synthetic:8, 8 samples", quantize.Stdout, StringComparison.Ordinal);
        Assert.Equal("T", SampleAxis(q));
        RunsAtAnotherLength(q);

        var p = Path.Combine(_dir, "p.onnx");
        var prune = await CliRunner.RunAsync(["prune", model, "--out", p, "--channels", "0.5", .. shape]);
        Assert.True(prune.ExitCode == 0, prune.Stderr);
        Assert.Contains("quality vs the original on synthetic:32", prune.Stdout, StringComparison.Ordinal);
        Assert.Equal("T", SampleAxis(p));
        RunsAtAnotherLength(p);

        var eval = await CliRunner.RunAsync(["eval", p, "--data", "synthetic:4", "--baseline", model, "--runs", "3", .. shape]);
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        Assert.Contains("output 'logits' vs audio.onnx: logits: top-1 agrees", eval.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Optimize_and_local_bench_take_the_input_shape_too()
    {
        var model = WriteAudioNet();
        var outDir = Path.Combine(_dir, "opt");
        var optimize = await CliRunner.RunAsync("optimize", model, "--profile", "x64-host", "--data", "synthetic:16", "--out", outDir,
            "--time-budget", "5m", "--input-shape", "audio=1x1x8000");
        OptimizeAssert.ExitMatchesChoice(optimize.ExitCode, outDir, optimize.Stderr);
        Assert.DoesNotContain("failed:", optimize.Stdout, StringComparison.Ordinal);
        var variants = Directory.GetFiles(Path.Combine(outDir, "variants"), "*.onnx");
        Assert.NotEmpty(variants);
        Assert.All(variants, v => Assert.Equal("T", SampleAxis(v)));

        var bench = await CliRunner.RunAsync("bench", model, "--device", "local", "--iterations", "5", "--input-shape", "audio=1x1x8000");
        Assert.True(bench.ExitCode == 0, bench.Stdout + bench.Stderr);
    }

    [Theory]
    [InlineData("speech=1x1x16000", "--input-shape speech: audio.onnx has no input 'speech' (its inputs: audio)")]
    [InlineData("audio=1x16000", "--input-shape audio=1x16000: input 'audio' has 3 axes [N,1,T], not 2")]
    [InlineData("audio=1x2x16000", "--input-shape audio=1x2x16000: axis 1 of input 'audio' is fixed at 1 [N,1,T]")]
    public async Task A_shape_that_does_not_fit_the_model_is_one_line_naming_both(string shape, string error)
    {
        var model = WriteAudioNet();
        var run = await CliRunner.RunAsync("prune", model, "--out", Path.Combine(_dir, "p.onnx"), "--channels", "0.5", "--input-shape", shape);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"edgec: {error}", run.Stderr.Trim());
    }
}
