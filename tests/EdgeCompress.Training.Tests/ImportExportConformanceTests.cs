using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using Xunit.Abstractions;

namespace EdgeCompress.Training.Tests;

/// <summary>
/// The importer against libonnx-testdata's pytorch-converted models: each model is imported into a TorchSharp
/// GraphModule (in the worker), run on its test input, and re-exported. The torch output must match the expected
/// output, and ONNX Runtime running the re-export must too: import and export(import(onnx)) agree with ORT.
/// </summary>
[Collection("worker")]
[Trait("Category", "training")]
public class ImportExportConformanceTests(ITestOutputHelper log)
{
    private const string Suite = "/usr/share/libonnx-testdata/data/pytorch-converted";

    [Fact]
    public async Task Pytorch_converted_models_in_the_operator_set_import_and_reexport_matching_onnx_runtime()
    {
        Assert.True(Directory.Exists(Suite), $"{Suite} missing: install Debian's libonnx-testdata (eng/bootstrap.sh does)");
        var output = TestModels.TempDir();
        await new TrainingClient().RunAsync(new WorkerRequest { Command = "roundtrip", Data = Suite, OutputPath = output }, null, CancellationToken.None);

        int agreed = 0, unsupported = 0, ortUnavailable = 0;
        var failures = new List<string>();
        foreach (var dir in Directory.GetDirectories(Suite).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(dir);
            var result = Path.Combine(output, name);
            if (File.Exists(Path.Combine(result, "error.txt")))
            {
                unsupported++;
                var message = File.ReadAllText(Path.Combine(result, "error.txt"));
                log.WriteLine($"{name}: not imported: {message}");
                continue;
            }
            var expected = Read(Path.Combine(dir, "test_data_set_0", "output_0.pb"));
            var input = Read(Path.Combine(dir, "test_data_set_0", "input_0.pb"));
            var torch = Read(Path.Combine(result, "torch_output_0.pb"));
            var want = TensorData.ToFloats(expected);
            var torchError = MaxError(TensorData.ToFloats(torch), want);
            double ortError;
            try
            {
                var (ort, _) = TestModels.Run(Path.Combine(result, "exported.onnx"), TensorData.ToFloats(input), input.Dims.Select(d => (int)d).ToArray());
                ortError = MaxError(ort, want);
            }
            catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException e) when (OrtRejects(Path.Combine(dir, "model.onnx"), input))
            {
                // ORT cannot run the original either (e.g. opset-1 AveragePool): only the torch side can be checked.
                ortUnavailable++;
                log.WriteLine($"{name}: ORT cannot run this opset ({e.Message.Split('\n')[0]}); torch error {torchError:G3}");
                ortError = 0;
            }
            if (torchError > 1e-3 || ortError > 1e-3)
            {
                failures.Add($"{name}: torch max error {torchError:G3}, re-export in ORT {ortError:G3}");
            }
            else
            {
                agreed++;
            }
        }
        log.WriteLine($"pytorch-converted: {agreed} agree, {failures.Count} disagree, {unsupported} outside the operator set; {ortUnavailable} of the agreeing ones checked against expected outputs only (ORT lacks their opset)");
        Console.WriteLine($"pytorch-converted: {agreed} agree, {failures.Count} disagree, {unsupported} outside the operator set, {ortUnavailable} without ORT");
        Assert.Empty(failures);
        Assert.True(agreed >= 75, $"only {agreed} models imported and agreed");
    }

    private static bool OrtRejects(string model, TensorProto input)
    {
        try
        {
            TestModels.Run(model, TensorData.ToFloats(input), input.Dims.Select(d => (int)d).ToArray());
            return false;
        }
        catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            return true;
        }
    }

    private static TensorProto Read(string path)
    {
        using var fs = File.OpenRead(path);
        return TensorProto.Parser.ParseFrom(fs);
    }

    /// <summary>Largest absolute difference, relative to the magnitude of the expected values (at least 1).</summary>
    private static double MaxError(float[] got, float[] want)
    {
        if (got.Length != want.Length)
        {
            return double.PositiveInfinity;
        }
        var scale = Math.Max(1.0, want.Max(v => Math.Abs((double)v)));
        return got.Zip(want, (a, b) => Math.Abs((double)a - b)).DefaultIfEmpty(0).Max() / scale;
    }
}
