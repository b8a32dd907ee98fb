using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using EdgeCompress.Training.Worker.Graph;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace EdgeCompress.Training.Worker;

/// <summary>
/// The importer's conformance check ("roundtrip"): for every model folder under Data (each with model.onnx and
/// test_data_set_0/input_0.pb, the libonnx-testdata layout), import it into a GraphModule, run it on the test input,
/// and write into OutputPath/NAME/ the module's output (torch_output_0.pb) and its re-export (exported.onnx); or
/// error.txt with the import error. The caller compares both against ONNX Runtime.
/// </summary>
internal sealed class RoundTripJob(WorkerRequest request, EventSink events, CancellationToken cancel)
{
    public TrainingResult Run()
    {
        var root = request.Data;
        var output = request.OutputPath ?? throw new TrainingInputException("roundtrip needs an output folder");
        if (!Directory.Exists(root))
        {
            throw new TrainingInputException($"{root}: no such folder");
        }
        var dirs = Directory.GetDirectories(root).Where(d => File.Exists(Path.Combine(d, "model.onnx"))).Order(StringComparer.Ordinal).ToArray();
        var done = 0;
        foreach (var dir in dirs)
        {
            cancel.ThrowIfCancellationRequested();
            var target = Path.Combine(output, Path.GetFileName(dir));
            Directory.CreateDirectory(target);
            try
            {
                One(dir, target);
            }
            catch (Exception e) when (e is TrainingInputException or OnnxFormatException or DataException or ExternalException or ArgumentException or InvalidOperationException)
            {
                File.WriteAllText(Path.Combine(target, "error.txt"), e.Message.Split('\n')[0]);
            }
            events.Progress(new TrainingProgress("roundtrip", 1, 1, ++done, dirs.Length, 0, null, null, 0));
        }
        return new TrainingResult { Steps = done, Threads = get_num_threads() };
    }

    private static void One(string dir, string target)
    {
        var proto = Jobs.Load(Path.Combine(dir, "model.onnx"), "model");
        using var module = new GraphModule(proto);
        module.eval();
        var inputInfo = proto.Graph.Input.First(i => i.Name == module.InputName);
        var set = Path.Combine(dir, "test_data_set_0");
        var sample = DataSpec.ReadTensorFile(Path.Combine(set, "input_0.pb"), [Dataset.InputOf(inputInfo)], 0);
        if (sample.Floats is null)
        {
            throw new TrainingInputException($"{set}/input_0.pb: not a float input");
        }
        using (no_grad())
        {
            using var x = tensor(sample.Floats, sample.Dims);
            using var y = module.forward(x).contiguous();
            var result = TensorData.FromFloats(proto.Graph.Output[0].Name, y.shape, y.data<float>().ToArray());
            File.WriteAllBytes(Path.Combine(target, "torch_output_0.pb"), Google.Protobuf.MessageExtensions.ToByteArray(result));
        }
        new OnnxModel(ModelExport.Export(module)).Save(Path.Combine(target, "exported.onnx"));
    }
}
