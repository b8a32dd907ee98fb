using System.Diagnostics;
using EdgeCompress.Training.Worker.Graph;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace EdgeCompress.Training.Worker;

/// <summary>
/// The training loop shared by train, distill, finetune and qat: SGD with Nesterov momentum under a one-cycle
/// schedule (linear warm-up over 15% of the steps, cosine decay to zero), optional distillation from precomputed
/// teacher logits (or, with feature pairs, from the teacher run per batch), progress events, per-epoch evaluation, and
/// checkpoints after every epoch and on cancellation.
/// </summary>
internal sealed class Trainer(WorkerRequest request, EventSink events, CancellationToken cancel)
{
    private const int ProgressEverySteps = 25;

    /// <summary>
    /// What the loop produced; Cancelled means a checkpoint was left in <paramref name="checkpointDir"/>. With
    /// <paramref name="features"/>, the teacher's logits come from its per-batch run and the weighted feature loss
    /// joins the distillation loss; with <paramref name="liveTeacher"/> (augmented distillation) the teacher runs per
    /// batch on the same augmented images as the student.
    /// </summary>
    public TrainingResult Run(GraphModule model, Dataset train, Dataset? eval, Tensor? teacherLogits, string checkpointDir,
        FeatureDistiller? features = null, FeatureTeacher? liveTeacher = null)
    {
        var clock = Stopwatch.StartNew();
        var n = train.Count;
        var batch = Math.Max(1, request.BatchSize);
        var stepsPerEpoch = (int)((n + batch - 1) / batch);
        var totalSteps = stepsPerEpoch * request.Epochs;
        if (request.MaxSteps is { } cap)
        {
            totalSteps = Math.Min(totalSteps, cap);
        }
        var parameters = features is null ? model.parameters() : model.parameters().Concat(features.Parameters());
        var optimizer = new NesterovSgd(parameters, request.LearningRate, momentum: 0.9, weightDecay: request.WeightDecay);
        int startEpoch = 0, startStep = 0, globalStep = 0;
        if (request.Resume && Checkpoint.Exists(checkpointDir))
        {
            var state = Checkpoint.ReadState(checkpointDir);
            if ((state.Features ?? "") != (FeatureKey() ?? ""))
            {
                // The optimizer state holds one buffer per trained tensor, adapters included, so it only loads into
                // the same set of adapters.
                throw new TrainingInputException($"{checkpointDir}: the checkpoint was written by a run {DescribeFeatures(state.Features)}, this run is {DescribeFeatures(FeatureKey())}; resume with the same --feature options, or delete the checkpoint to start over");
            }
            Checkpoint.LoadOptimizer(checkpointDir, optimizer);
            Checkpoint.LoadAdapters(checkpointDir, features?.Adapters);
            (startEpoch, startStep, globalStep) = (state.Epoch, state.StepInEpoch, state.GlobalStep);
            events.Log($"resuming from {checkpointDir} at epoch {startEpoch + 1}, step {startStep}");
        }
        var losses = new List<double>();
        var featureLosses = new List<double>();
        var epochLosses = new List<double>();
        var epochAccuracies = new List<double>();
        double? accuracy = null;
        var stepsThisRun = 0;
        var rateClock = Stopwatch.StartNew();
        var perBatchTeacher = features is not null || liveTeacher is not null;
        for (var epoch = startEpoch; epoch < request.Epochs && globalStep < totalSteps; epoch++)
        {
            model.train();
            // The shuffle order depends only on (seed, epoch), so a resumed epoch sees the same batches.
            using var gen = new Generator().manual_seed(request.Seed * 1000L + epoch);
            using var order = randperm(n, generator: gen);
            var tally = new EpochTally();
            var first = epoch == startEpoch ? startStep : 0;
            for (var step = first; step < stepsPerEpoch && globalStep < totalSteps; step++)
            {
                if (cancel.IsCancellationRequested)
                {
                    Checkpoint.Save(checkpointDir, model, optimizer, State(epoch, step, globalStep, n), features?.Adapters);
                    return Result(null, accuracy, losses, featureLosses, epochLosses, epochAccuracies, stepsThisRun, clock, model, cancelled: true, checkpointDir);
                }
                SetLearningRate(optimizer, globalStep, totalSteps);
                // Dropout draws from the global generator, augmentation from its own; both restart from (seed, step), so
                // a resumed run draws exactly what the uninterrupted one would have.
                manual_seed(StepSeed(globalStep));
                using var rows = order.narrow(0, (long)step * batch, Math.Min(batch, n - (long)step * batch));
                var l = TrainBatch(model, optimizer, train, rows, globalStep, teacherLogits, features, liveTeacher,
                    countTeacher: perBatchTeacher && epoch == startEpoch, tally, featureLosses);
                if (!float.IsFinite(l))
                {
                    throw new TrainingFailedException(stepsThisRun == 0 && globalStep == 0
                        ? $"the loss was {l} on the first batch, before any update, so the learning rate is not the cause: the model or a libtorch kernel produced non-finite values (rerun with EDGEC_WORKER_NAN_TRACE=FILE to log the first node that did); no model written"
                        : $"training diverged (loss {l}) at epoch {epoch + 1}, step {step}; lower --lr; no model written");
                }
                losses.Add(l);
                globalStep++;
                stepsThisRun++;
                if (step % ProgressEverySteps == 0 || step == stepsPerEpoch - 1)
                {
                    var rate = stepsThisRun * (double)batch / Math.Max(1e-3, rateClock.Elapsed.TotalSeconds);
                    var eta = (totalSteps - globalStep) * (double)batch / rate + (eval is null ? 0 : (request.Epochs - epoch) * eval.Count / (rate * 3));
                    events.Progress(new TrainingProgress("train", epoch + 1, request.Epochs, step + 1, stepsPerEpoch, tally.LossSum / tally.Seen,
                        train.Labels is null ? null : (double)tally.Correct / tally.Seen, eta, rate) { FeatureLoss = features is null ? null : tally.FeatureSum / tally.Seen });
                }
            }
            if (perBatchTeacher && epoch == startEpoch && train.Labels is not null && tally.Seen > 0)
            {
                // A teacher run per batch has its agreement counted over this first epoch (on augmented images when
                // augmenting).
                events.Log(Teacher.AgreementLine(request.TeacherPath, (double)tally.TeacherCorrect / tally.Seen));
            }
            epochLosses.Add(tally.Seen == 0 ? double.NaN : tally.LossSum / tally.Seen);
            if (eval?.Labels is not null)
            {
                accuracy = Evaluate(model, eval);
                epochAccuracies.Add(accuracy.Value);
                events.Progress(new TrainingProgress("eval", epoch + 1, request.Epochs, stepsPerEpoch, stepsPerEpoch, epochLosses[^1], accuracy, null, 0));
            }
            Checkpoint.Save(checkpointDir, model, optimizer, State(epoch + 1, 0, globalStep, n), features?.Adapters);
        }
        return Result(request.OutputPath, accuracy, losses, featureLosses, epochLosses, epochAccuracies, stepsThisRun, clock, model, cancelled: false, null);
    }

    /// <summary>Running sums of one epoch's batches.</summary>
    private sealed class EpochTally
    {
        public double LossSum { get; set; }

        public double FeatureSum { get; set; }

        public long Correct { get; set; }

        public long Seen { get; set; }

        public long TeacherCorrect { get; set; }
    }

    /// <summary>One optimizer step on the batch <paramref name="rows"/> (augmented when asked; distilled from the teacher's
    /// logits or features when there is a teacher); adds to <paramref name="tally"/> and returns the batch's loss.</summary>
    private float TrainBatch(GraphModule model, NesterovSgd optimizer, Dataset train, Tensor rows, int globalStep, Tensor? teacherLogits,
        FeatureDistiller? features, FeatureTeacher? liveTeacher, bool countTeacher, EpochTally tally, List<double> featureLosses)
    {
        using var scope = NewDisposeScope();
        var x = train.Inputs.index_select(0, rows);
        if (request.Augment)
        {
            using var augmentGen = new Generator().manual_seed(StepSeed(globalStep));
            x = Augment(x, augmentGen);
        }
        Tensor logits, loss;
        var y = train.Labels?.index_select(0, rows);
        Tensor? teacherBatch = null;
        if (features is null)
        {
            logits = model.forward(x);
            teacherBatch = liveTeacher?.Run(x).Logits ?? teacherLogits?.index_select(0, rows);
            loss = Loss(logits, y, teacherBatch);
        }
        else
        {
            // The teacher sees exactly this batch (augmented or not), so its logits come from the same run.
            (logits, teacherBatch, var featureLoss) = features.Forward(model, x);
            loss = Loss(logits, y, teacherBatch).Plus(featureLoss.Times(request.FeatureWeight));
            var fl = featureLoss.item<float>();
            featureLosses.Add(fl);
            tally.FeatureSum += fl * rows.shape[0];
        }
        if (countTeacher && y is not null)
        {
            tally.TeacherCorrect += teacherBatch!.argmax(1).eq(y).sum().item<long>();
        }
        optimizer.ZeroGrad();
        loss.backward();
        optimizer.Step();
        var l = loss.item<float>();
        if (!float.IsFinite(l))
        {
            return l;
        }
        tally.LossSum += l * rows.shape[0];
        tally.Seen += rows.shape[0];
        if (y is not null)
        {
            tally.Correct += logits.argmax(1).eq(y).sum().item<long>();
        }
        return l;
    }

    private long StepSeed(int globalStep) => request.Seed * 1_000_003L + globalStep + 1;

    private CheckpointState State(int epoch, int step, int globalStep, long n) =>
        new(request.Command, epoch, step, globalStep, request.Seed, request.Epochs, request.BatchSize, n, FeatureKey());

    private string? FeatureKey() => request.Features.Count == 0 ? null : string.Join(';', request.Features);

    private static string DescribeFeatures(string? key) =>
        string.IsNullOrEmpty(key) ? "without --feature" : "with --feature " + key.Replace(";", " --feature ", StringComparison.Ordinal);

    /// <summary>Hard-label cross-entropy, or the distillation mix alpha*T^2*KL(teacher||student) + (1-alpha)*CE.</summary>
    private Tensor Loss(Tensor logits, Tensor? labels, Tensor? teacher)
    {
        if (teacher is null)
        {
            return F.cross_entropy(logits, labels ?? throw new TrainingInputException($"data '{request.Data}' has no labels; give a teacher to learn from"));
        }
        var t = request.Temperature;
        var soft = F.kl_div(F.log_softmax(logits.Over(t), 1), F.log_softmax(teacher.Over(t), 1), log_target: true, reduction: nn.Reduction.Sum)
            .Times(t * t / logits.shape[0]);
        if (labels is null || request.Alpha >= 1)
        {
            return soft;
        }
        return soft.Times(request.Alpha).Plus(F.cross_entropy(logits, labels).Times(1 - request.Alpha));
    }

    private void SetLearningRate(NesterovSgd optimizer, int step, int total)
    {
        var warm = Math.Max(1, (int)(0.15 * total));
        var lr = step < warm
            ? request.LearningRate * (step + 1) / warm
            : request.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * (step - warm) / Math.Max(1, total - warm)));
        optimizer.LearningRate = lr;
    }

    /// <summary>Random horizontal flip and up-to-2-pixel shift (zero fill), one draw per batch half.</summary>
    private static Tensor Augment(Tensor x, Generator gen)
    {
        var flip = rand(x.shape[0], generator: gen).Below(0.5).view(-1, 1, 1, 1);
        x = where(flip, x.flip(3), x);
        var shifts = randint(-2, 3, [2], generator: gen).data<long>().ToArray();
        var padded = F.pad(x, [2, 2, 2, 2]);
        return padded.narrow(2, 2 + shifts[0], x.shape[2]).narrow(3, 2 + shifts[1], x.shape[3]);
    }

    /// <summary>Top-1 accuracy on labelled data, in eval mode; leaves the model in training mode.</summary>
    public static double Evaluate(GraphModule model, Dataset data)
    {
        var accuracy = Agreement(model, data.Inputs, data.Labels!);
        model.train();
        return accuracy;
    }

    /// <summary>
    /// Fraction of rows whose top class equals <paramref name="reference"/> (labels, or another model's top class),
    /// run in eval mode in chunks of 1000 rows; the model is left in eval mode.
    /// </summary>
    public static double Agreement(GraphModule model, Tensor inputs, Tensor reference)
    {
        model.eval();
        long correct = 0;
        using (no_grad())
        {
            for (long start = 0; start < inputs.shape[0]; start += 1000)
            {
                using var scope = NewDisposeScope();
                var rows = Math.Min(1000, inputs.shape[0] - start);
                var pred = model.forward(inputs.narrow(0, start, rows)).argmax(1);
                correct += pred.eq(reference.narrow(0, start, rows)).sum().item<long>();
            }
        }
        return (double)correct / inputs.shape[0];
    }

    private static TrainingResult Result(string? output, double? accuracy, List<double> losses, List<double> featureLosses, List<double> epochLosses, List<double> epochAccuracies,
        int steps, Stopwatch clock, GraphModule model, bool cancelled, string? checkpoint) => new()
    {
        OutputPath = output,
        Accuracy = accuracy,
        FirstLoss = losses.Count == 0 ? double.NaN : losses.Take(20).Average(),
        LastLoss = losses.Count == 0 ? double.NaN : losses.TakeLast(20).Average(),
        FirstFeatureLoss = featureLosses.Count == 0 ? null : featureLosses.Take(20).Average(),
        LastFeatureLoss = featureLosses.Count == 0 ? null : featureLosses.TakeLast(20).Average(),
        EpochLosses = epochLosses,
        EpochAccuracies = epochAccuracies,
        Steps = steps,
        Seconds = clock.Elapsed.TotalSeconds,
        Parameters = model.parameters().Sum(p => p.numel()),
        Cancelled = cancelled,
        CheckpointPath = checkpoint,
        Threads = get_num_threads(),
    };
}
