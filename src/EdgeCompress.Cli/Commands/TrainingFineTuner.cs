using EdgeCompress.Compression.Pruning;
using EdgeCompress.Compression.Search;
using EdgeCompress.Data;
using EdgeCompress.Fleet;
using EdgeCompress.Onnx;
using EdgeCompress.Training;

namespace EdgeCompress.Cli.Commands;

/// <summary>
/// Training for the passes, through the out-of-process worker: fine-tunes a compressed model by distilling from its
/// original (<see cref="TrainingClient.FineTuneAsync"/>; the graph the pass produced is kept, only weights change;
/// used by prune, factorize and optimize), and distils fresh students for optimize. Models travel through a private
/// temporary folder, removed afterwards.
/// </summary>
internal sealed class TrainingFineTuner : IPruneFineTuner, IStudentTrainer
{
    private readonly FineTuneOptions _options;

    public TrainingFineTuner(FineTuneOptions? options = null) => _options = options ?? new FineTuneOptions();

    public Task<OnnxModel> FineTuneAsync(OnnxModel student, OnnxModel teacher, DataSpec data, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(student);
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(data);
        return InTempFolderAsync(teacher, "fine-tune", progress, (teacherPath, outputPath, relay) =>
        {
            var studentPath = Path.Combine(Path.GetDirectoryName(outputPath)!, "student.onnx");
            new OnnxModel(student.Proto).Save(studentPath);
            return TrainingClient.FineTuneAsync(studentPath, teacherPath, data.Text, outputPath, _options, relay, cancellationToken, data.Preprocess?.ToJson());
        });
    }

    public Task<OnnxModel> DistillStudentAsync(OnnxModel teacher, string arch, DataSpec data, int epochs, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(data);
        return InTempFolderAsync(teacher, "distil " + arch, progress, (teacherPath, outputPath, relay) => new TrainingClient().RunAsync(new WorkerRequest
        {
            Command = "distill",
            TeacherPath = teacherPath,
            Arch = arch,
            Data = data.Text,
            Preprocess = data.Preprocess?.ToJson(),
            EvalData = _options.EvalData,
            OutputPath = outputPath,
            Epochs = epochs,
            BatchSize = _options.BatchSize,
            Temperature = _options.StudentTemperature,
            Alpha = _options.StudentAlpha,
            Seed = _options.Seed,
            MaxSteps = _options.MaxSteps,
            Threads = _options.Threads,
            Augment = _options.Augment,
        }, relay, cancellationToken));
    }

    private static async Task<OnnxModel> InTempFolderAsync(OnnxModel teacher, string what, IProgress<string>? progress,
        Func<string, string, IProgress<TrainingProgress>?, Task<TrainingResult>> run)
    {
        var dir = Directory.CreateTempSubdirectory("edgec-finetune-").FullName;
        try
        {
            var teacherPath = Path.Combine(dir, "teacher.onnx");
            var outputPath = Path.Combine(dir, "tuned.onnx");
            new OnnxModel(teacher.Proto).Save(teacherPath);
            var relay = progress is null ? null : new SyncProgress<TrainingProgress>(p => progress.Report(what + " " + ProgressText.Format(p)));
            TrainingResult result;
            try
            {
                result = await run(teacherPath, outputPath, relay).ConfigureAwait(false);
            }
            catch (TrainingException e) when (e.Kind != TrainingErrorKind.Fault)
            {
                throw new UsageException($"{what} failed: {e.Message}", e);
            }
            catch (TrainingException e)
            {
                throw new EdgeCompress.Compression.Passes.WorkFailedException($"{what} failed: {e.Message}", e);
            }
            if (result.Cancelled)
            {
                throw new OperationCanceledException($"{what} was interrupted");
            }
            return OnnxModel.Load(outputPath);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
