using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using EdgeCompress.Training.Worker.Graph;
using static TorchSharp.torch;

namespace EdgeCompress.Training.Worker;

/// <summary>The worker's commands: each builds or imports a model, trains it, and writes the result atomically.</summary>
internal sealed class Jobs(WorkerRequest request, EventSink events, CancellationToken cancel)
{
    public TrainingResult Run()
    {
        if (request.Epochs < 1 || request.BatchSize < 1 || !(request.LearningRate > 0) || !(request.Temperature > 0) || request.Alpha is < 0 or > 1
            || !(request.FeatureWeight >= 0) || double.IsInfinity(request.FeatureWeight))
        {
            throw new TrainingInputException(
                $"invalid request: epochs {request.Epochs}, batch size {request.BatchSize}, learning rate {request.LearningRate}, temperature {request.Temperature}, alpha {request.Alpha}, feature weight {request.FeatureWeight}");
        }
        if (request.Features.Count > 0 && (request.TeacherPath is null || request.Command is not ("distill" or "finetune")))
        {
            throw new TrainingInputException("feature pairs need a teacher (distill or finetune with a teacher)");
        }
        // Every tensor the job makes belongs to this scope, or to an inner one (per step, batch or export), until it
        // ends; none is left to the finalizer, which could free a temporary (value.detach() in
        // value.detach().contiguous()) while libtorch still reads it. The job's own tensors live as long anyway.
        using var scope = NewDisposeScope();
        return Dispatch();
    }

    private TrainingResult Dispatch() => request.Command switch
    {
        "ping" => new TrainingResult { Threads = get_num_threads() },
        "train" => Train(Architectures.Build(Require(request.Arch, "arch"), request.Seed), teacherPath: null),
        "distill" => Train(request.ModelPath is { } s ? Load(s, "student") : Architectures.Build(StudentArch(), request.Seed),
            Require(request.TeacherPath, "teacher")),
        "finetune" => Train(Load(Require(request.ModelPath, "model"), "model"), request.TeacherPath),
        "evaluate" => Evaluate(),
        "qat" => new QatJob(request, events, cancel).Run(),
        "roundtrip" => new RoundTripJob(request, events, cancel).Run(),
        _ => throw new TrainingInputException($"unknown worker command '{request.Command}'"),
    };

    private TrainingResult Train(ModelProto start, string? teacherPath)
    {
        var output = Require(request.OutputPath, "output path");
        var checkpointDir = request.CheckpointPath ?? output + ".ckpt";
        if (request.Resume && Checkpoint.Exists(checkpointDir))
        {
            start = Load(Checkpoint.ModelPath(checkpointDir), "checkpoint");
        }
        using var model = new GraphModule(start);
        var input = Dataset.InputOf(start.Graph.Input.First(i => i.Name == model.InputName));
        using var train = Dataset.Load(request.Data, input, request.Preprocess);
        using var eval = request.EvalData is { } e ? Dataset.Load(e, input, request.Preprocess) : null;
        // With feature pairs the teacher runs per batch (its logits come with the features); so it does when the
        // batches are augmented, since every epoch shows it new images; otherwise its logits are computed once over
        // the whole set.
        using var features = teacherPath is null || request.Features.Count == 0 ? null
            : FeatureDistiller.Create(teacherPath, model, StudentLabel(), request.Features, train.Inputs.narrow(0, 0, Math.Min(2, train.Count)), events.Log);
        using var live = teacherPath is null || features is not null || !request.Augment ? null
            : new FeatureTeacher(Load(teacherPath, "teacher"), teacherPath, []);
        using var teacher = teacherPath is null || features is not null || live is not null ? null : Teacher.Logits(teacherPath, train.Inputs,
            (done, total) => events.Progress(new TrainingProgress("teacher", 0, request.Epochs, done, total, 0, null, null, 0)), cancel);
        if (teacher is not null && eval?.Labels is not null)
        {
            events.Log(Teacher.AgreementLine(teacherPath, Agreement(teacher, train)));
        }
        var health = TrainingHealth.Start(model, train, teacher);
        var result = new Trainer(request, events, cancel).Run(model, train, eval, teacher, checkpointDir, features, live);
        if (result.Cancelled)
        {
            return result;
        }
        double? after;
        try
        {
            after = health.Check(model);
        }
        catch (TrainingFailedException)
        {
            // The checkpoint holds the same unfit weights; resuming from it would only write them.
            Checkpoint.Delete(checkpointDir);
            throw;
        }
        if (after is not null)
        {
            events.Log(FormattableString.Invariant($"health: top-1 agreement on the training probe {health.Before * 100:F1}% before, {after * 100:F1}% after"));
        }
        var meta = new Dictionary<string, string>
        {
            ["edgec.trained.data"] = request.Data,
            ["edgec.trained.epochs"] = request.Epochs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (result.Accuracy is { } acc)
        {
            meta["edgec.accuracy"] = $"{acc:F4} on {request.EvalData}";
        }
        if (teacherPath is not null)
        {
            meta["edgec.teacher"] = Path.GetFileName(teacherPath);
        }
        if (request.Augment)
        {
            meta["edgec.trained.augment"] = "flip+shift2";
        }
        if (features is not null)
        {
            meta["edgec.distill.features"] = string.Join(';', request.Features);
            meta["edgec.distill.feature_weight"] = request.FeatureWeight.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        }
        var exported = ModelExport.Export(model, meta);
        // What this run did replaces what an earlier run wrote: a re-distilled model must not keep the previous
        // run's teacher, feature pairs or accuracy.
        foreach (var stale in exported.MetadataProps.Where(e => IsTrainingRecord(e.Key) && !meta.ContainsKey(e.Key)).ToList())
        {
            exported.MetadataProps.Remove(stale);
        }
        new OnnxModel(exported).Save(output);
        Checkpoint.Delete(checkpointDir);
        return result;
    }

    private static bool IsTrainingRecord(string key) =>
        key is "edgec.teacher" or "edgec.accuracy" || key.StartsWith("edgec.distill.", StringComparison.Ordinal) || key.StartsWith("edgec.trained.", StringComparison.Ordinal);

    /// <summary>How errors name the student: its file, or the architecture it was built from.</summary>
    private string StudentLabel() => request.ModelPath is { } path ? $"student {path}" : $"student --arch {request.Arch}";

    /// <summary>
    /// The student architecture: a name, or "thin@F" for a thinner copy of the teacher, i.e. the teacher's own
    /// architecture (from its edgec.arch/edgec.width metadata) with every layer's width multiplied by F.
    /// </summary>
    private string StudentArch()
    {
        var arch = Require(request.Arch, "arch or student");
        if (!arch.StartsWith("thin@", StringComparison.Ordinal))
        {
            return arch;
        }
        var (_, factor) = Architectures.Parse(arch);
        var teacher = Load(Require(request.TeacherPath, "teacher"), "teacher");
        var meta = teacher.MetadataProps.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        if (!meta.TryGetValue("edgec.arch", out var name))
        {
            throw new TrainingInputException($"{request.TeacherPath}: has no edgec.arch metadata (not trained by edgec), so its thinner copy is unknown; give --arch NAME@WIDTH");
        }
        var width = meta.TryGetValue("edgec.width", out var w) && double.TryParse(w, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var parsed) ? parsed : 1.0;
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{name}@{width * factor:0.###}");
    }

    private static double Agreement(Tensor teacher, Dataset train) =>
        train.Labels is null ? double.NaN : teacher.argmax(1).eq(train.Labels).to_type(ScalarType.Float32).mean().item<float>();

    private TrainingResult Evaluate()
    {
        var proto = Load(Require(request.ModelPath, "model"), "model");
        using var model = new GraphModule(proto);
        using var data = Dataset.Load(request.EvalData ?? request.Data, Dataset.InputOf(proto.Graph.Input.First(i => i.Name == model.InputName)), request.Preprocess);
        if (data.Labels is null)
        {
            throw new TrainingInputException($"data '{data.Spec}' has no labels, so accuracy cannot be measured");
        }
        return new TrainingResult
        {
            Accuracy = Trainer.Evaluate(model, data),
            Parameters = model.parameters().Sum(p => p.numel()),
            Threads = get_num_threads(),
        };
    }

    internal static ModelProto Load(string path, string role)
    {
        try
        {
            return OnnxModel.Load(path).Proto;
        }
        catch (OnnxFormatException e)
        {
            throw new TrainingInputException($"{role} {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new TrainingInputException($"{role} {path}: {e.Message}", e);
        }
    }

    private static string Require(string? value, string what) =>
        value ?? throw new TrainingInputException($"the request has no {what}");
}
