using EdgeCompress.Compression.Pruning;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Training;

namespace EdgeCompress.Cli.Commands;

/// <summary>
/// Fine-tunes a compressed model by distilling from its original with the out-of-process training worker
/// (<see cref="TrainingClient.FineTuneAsync"/>): the graph the pass produced is kept, only weights change. Used by
/// prune, factorize and optimize. Models travel through a private temporary folder, removed afterwards.
/// </summary>
internal sealed class TrainingFineTuner : IPruneFineTuner
{
    private readonly FineTuneOptions _options;

    public TrainingFineTuner(FineTuneOptions? options = null) => _options = options ?? new FineTuneOptions();

    public async Task<OnnxModel> FineTuneAsync(OnnxModel student, OnnxModel teacher, DataSpec data, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(student);
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(data);
        var dir = Directory.CreateTempSubdirectory("edgec-finetune-").FullName;
        try
        {
            var studentPath = Path.Combine(dir, "student.onnx");
            var teacherPath = Path.Combine(dir, "teacher.onnx");
            var outputPath = Path.Combine(dir, "tuned.onnx");
            new OnnxModel(student.Proto).Save(studentPath);
            new OnnxModel(teacher.Proto).Save(teacherPath);
            var relay = progress is null ? null : new Progress<TrainingProgress>(p => progress.Report("fine-tune " + ProgressText.Format(p)));
            TrainingResult result;
            try
            {
                result = await TrainingClient.FineTuneAsync(studentPath, teacherPath, data.Text, outputPath, _options, relay, cancellationToken).ConfigureAwait(false);
            }
            catch (TrainingException e)
            {
                throw new UsageException($"fine-tuning failed: {e.Message}", e);
            }
            if (result.Cancelled)
            {
                throw new OperationCanceledException("fine-tuning was interrupted");
            }
            return OnnxModel.Load(outputPath);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
