using EdgeCompress.Cli.Tests.Support;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Cli.Tests;

/// <summary>
/// A float16 model through quantize: computed in float32 like every other pass, written int8 with its float16
/// inputs and outputs kept, so the user's pipeline that feeds float16 still runs it.
/// </summary>
public sealed class Float16QuantizeTests : IDisposable
{
    private const int F16 = (int)TensorProto.Types.DataType.Float16;
    private readonly string _dir = Directory.CreateTempSubdirectory("edgec-fp16-quantize-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteFloat16Baseline()
    {
        var model = OnnxModel.Load(Path.Combine(AppContext.BaseDirectory, "fmnist-baseline.onnx"));
        var g = model.Graph.Proto;
        var all = new Float16Record(
            g.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal),
            g.Input.Concat(g.Output).Select(v => v.Name).ToHashSet(StringComparer.Ordinal),
            new HashSet<string>(StringComparer.Ordinal),
            new HashSet<string>(StringComparer.Ordinal));
        var path = Path.Combine(_dir, "fp16.onnx");
        Float16Precision.ToFloat16(model, all).Save(path);
        return path;
    }

    [Fact]
    public async Task A_float16_model_quantizes_to_int8_keeps_float16_inputs_and_outputs_and_says_how()
    {
        var input = WriteFloat16Baseline();
        var output = Path.Combine(_dir, "fp16.int8.onnx");
        var run = await CliRunner.RunAsync("quantize", input, "--out", output, "--calibration", "fashion-mnist:train@256",
            "--eval-data", "fashion-mnist:test@300", "--max-drop", "2");

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Contains("warning: float16 model: quantized in float32; its inputs and outputs stay float16", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("guard: pass by top-1 accuracy", run.Stdout, StringComparison.Ordinal);
        var written = OnnxModel.Load(output);
        Assert.All(written.Graph.RealInputs.Concat(written.Graph.Proto.Output), v => Assert.Equal(F16, v.Type.TensorType.ElemType));
        Assert.Contains("QuantizeLinear", written.Graph.Nodes.Select(n => n.OpType));
        Assert.True(new FileInfo(output).Length < 0.6 * new FileInfo(input).Length, $"{new FileInfo(output).Length} vs {new FileInfo(input).Length} bytes");

        // ONNX Runtime runs it on float16 input and it answers like the float16 original.
        using var original = ModelRunner.Create(OnnxModel.Load(input), "fp16.onnx");
        using var quantized = ModelRunner.Create(written, "fp16.int8.onnx");
        var agree = 0;
        var rows = 0;
        foreach (var batch in DataSpec.Parse("fashion-mnist:test@200").Open(ModelInputs.Of(OnnxModel.Load(input)), 50))
        {
            var a = original.Run(batch)[0].Values;
            var b = quantized.Run(batch)[0].Values;
            for (var r = 0; r < batch.Labels!.Length; r++, rows++)
            {
                agree += ArgMax(a.AsSpan(r * 10, 10)) == ArgMax(b.AsSpan(r * 10, 10)) ? 1 : 0;
            }
        }
        Assert.True(agree >= 0.97 * rows, $"top-1 agrees on {agree} of {rows}");
    }

    private static int ArgMax(ReadOnlySpan<float> row)
    {
        var best = 0;
        for (var i = 1; i < row.Length; i++)
        {
            best = row[i] > row[best] ? i : best;
        }
        return best;
    }
}
