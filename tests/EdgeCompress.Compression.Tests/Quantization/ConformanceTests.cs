using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Quantization;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using Xunit.Abstractions;
using EdgeCompress.Runtime;

namespace EdgeCompress.Compression.Tests.Quantization;

/// <summary>Quantizes every Conv/Gemm/MatMul model of the libonnx-testdata pytorch-converted suite and checks the
/// int8 model's outputs against the expected outputs stored with it.</summary>
public class ConformanceTests(ITestOutputHelper log)
{
    private const string Suite = "/usr/share/libonnx-testdata/data/pytorch-converted";

    // Close = the direction of the output is kept and no value is off by more than 5% of the output's range.
    private static bool Close(Fidelity f, float[] expected) =>
        f.Cosine >= 0.995 && f.MaxAbsError <= (0.05 * expected.Max(v => Math.Abs(v))) + 1e-3;

    public static IEnumerable<string> Models() =>
        Directory.Exists(Suite)
            ? Directory.GetDirectories(Suite).Order(StringComparer.Ordinal)
                .Where(d => File.Exists(Path.Combine(d, "model.onnx"))
                    && OnnxModel.Load(Path.Combine(d, "model.onnx")).Graph.Nodes.Any(n => n.OpType is "Conv" or "ConvTranspose" or "Gemm" or "MatMul"))
            : [];

    private (int Loaded, int Close, int Total) RunSuite(QuantizationMode mode, Func<OnnxModel, bool> which)
    {
        int loaded = 0, close = 0, total = 0;
        foreach (var dir in Models())
        {
            var name = Path.GetFileName(dir);
            var model = OnnxModel.Load(Path.Combine(dir, "model.onnx"));
            if (!which(model))
            {
                continue;
            }
            total++;
            try
            {
                var options = new QuantizationOptions { Mode = mode, ReduceRange = HostInt8.NeedsReduceRange, PerChannel = true };
                var data = DataSpec.Parse(dir);
                var q = QuantizationPipeline.Run(model, options, mode == QuantizationMode.Static ? data : null).Quantized;
                using var runner = ModelRunner.Create(new OnnxModel(OnnxModel.Load(new MemoryStream(q.ToBytes())).Proto), name);
                loaded++;
                var expected = StoredOutputs.Enumerate(data).First()[0];
                var f = new Fidelity();
                f.Add(expected, runner.Run(data.Open(runner.Inputs).First())[0].Values);
                var ok = Close(f, expected);
                var int8 = q.Graph.Nodes.Count(n => n.OpType is "QuantizeLinear" or "DynamicQuantizeLinear" or "DynamicQuantizeMatMul");
                ok &= int8 > 0;
                close += ok ? 1 : 0;
                log.WriteLine($"{name}: cosine {f.Cosine:F5} max abs {f.MaxAbsError:G3} int8 nodes {int8} {(ok ? "close" : "NOT CLOSE")}");
            }
            catch (Exception e) when (e is ModelRunException or OnnxFormatException or DataException)
            {
                log.WriteLine($"{name}: FAILED {e.Message}");
            }
        }
        log.WriteLine($"{mode}: {loaded}/{total} load in ONNX Runtime, {close}/{total} close to the stored outputs");
        return (loaded, close, total);
    }

    [Fact]
    public void Every_pytorch_converted_conv_gemm_matmul_model_quantized_static_loads_and_stays_close_to_the_stored_outputs()
    {
        var (loaded, close, total) = RunSuite(QuantizationMode.Static, _ => true);
        Assert.True(total >= 30, $"suite has {total} models; is libonnx-testdata installed?");
        Assert.Equal(total, loaded);
        Assert.Equal(total, close);
    }

    [Fact]
    public void Pytorch_converted_linear_models_quantized_dynamic_get_int8_matmuls_and_stay_close_to_the_stored_outputs()
    {
        var (loaded, close, total) = RunSuite(QuantizationMode.Dynamic, m => m.Graph.Nodes.Any(n => n.OpType is "Gemm" or "MatMul"));
        Assert.True(total >= 2);
        Assert.Equal(total, loaded);
        Assert.Equal(total, close);
    }
}
