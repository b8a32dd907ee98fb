using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace EdgeCompress.Training.Worker;

/// <summary>
/// Runs the teacher with ONNX Runtime once over the whole training set and keeps its logits. Used when the data is
/// not augmented, so precomputing is exact and costs one inference pass instead of one per epoch (augmented runs
/// call the teacher per batch instead).
/// </summary>
internal static class Teacher
{
    private const int Batch = 512;

    /// <summary>The log line saying how often the teacher's top class matches the training labels (0..1).</summary>
    public static string AgreementLine(string? teacherPath, double agreement) =>
        $"teacher {Path.GetFileName(teacherPath)} agrees with the training labels on {agreement:P2}";

    public static Tensor Logits(string teacherPath, Tensor inputs, Action<int, int> progress, CancellationToken ct)
    {
        using var teacher = new FeatureTeacher(Jobs.Load(teacherPath, "teacher"), teacherPath, []);
        var n = (int)inputs.shape[0];
        var parts = new List<Tensor>();
        try
        {
            for (var start = 0; start < n; start += Batch)
            {
                ct.ThrowIfCancellationRequested();
                var rows = Math.Min(Batch, n - start);
                using var batch = inputs.narrow(0, start, rows);
                parts.Add(teacher.Run(batch).Logits);
                progress(start + rows, n);
            }
            return cat(parts, 0);
        }
        finally
        {
            foreach (var p in parts)
            {
                p.Dispose();
            }
        }
    }
}
