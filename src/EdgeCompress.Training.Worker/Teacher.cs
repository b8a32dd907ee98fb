using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace EdgeCompress.Training.Worker;

/// <summary>
/// Runs the teacher with ONNX Runtime once over the whole training set and keeps its logits. The data is not
/// augmented in distillation runs, so precomputing is exact and costs one inference pass instead of one per epoch.
/// </summary>
internal static class Teacher
{
    public static Tensor Logits(string teacherPath, Tensor inputs, Action<int, int> progress, CancellationToken ct)
    {
        using var options = new SessionOptions { IntraOpNumThreads = Math.Max(1, get_num_threads()) };
        InferenceSession session;
        try
        {
            session = new InferenceSession(teacherPath, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new TrainingInputException($"{teacherPath}: ONNX Runtime cannot load the teacher ({FirstLine(e.Message)})", e);
        }
        using (session)
        {
            var inputName = session.InputMetadata.Keys.First();
            var n = (int)inputs.shape[0];
            var rowShape = inputs.shape[1..].Select(d => (int)d).ToArray();
            var rowSize = rowShape.Aggregate(1, (a, b) => a * b);
            using var flat = inputs.contiguous();
            var all = flat.data<float>().ToArray();
            const int batch = 512;
            float[]? result = null;
            var classes = 0;
            for (var start = 0; start < n; start += batch)
            {
                ct.ThrowIfCancellationRequested();
                var rows = Math.Min(batch, n - start);
                var input = new DenseTensor<float>(all.AsMemory(start * rowSize, rows * rowSize), [rows, .. rowShape]);
                using var outputs = session.Run([NamedOnnxValue.CreateFromTensor(inputName, input)]);
                var logits = outputs[0].AsTensor<float>();
                classes = (int)(logits.Length / rows);
                result ??= new float[(long)n * classes];
                logits.ToArray().CopyTo(result, (long)start * classes);
                progress(start + rows, n);
            }
            return tensor(result!, [n, classes]);
        }
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
