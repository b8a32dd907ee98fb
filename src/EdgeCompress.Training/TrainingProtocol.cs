using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeCompress.Training;

/// <summary>
/// One job for the training worker, sent as the first JSON line on its stdin. Later stdin lines may only be
/// "cancel"; closing stdin also cancels. The worker answers with <see cref="WorkerEvent"/> lines on stdout.
/// </summary>
public sealed record WorkerRequest
{
    /// <summary>train | finetune | distill | qat | evaluate | ping.</summary>
    public required string Command { get; init; }

    /// <summary>Architecture to build for train/distill (e.g. vgg-s, mobilenet-v2@0.5).</summary>
    public string? Arch { get; init; }

    /// <summary>Starting model (student) ONNX path for finetune/distill/qat/evaluate.</summary>
    public string? ModelPath { get; init; }

    /// <summary>Teacher ONNX path for distillation (run with ONNX Runtime).</summary>
    public string? TeacherPath { get; init; }

    /// <summary>Training data SPEC (see EdgeCompress.Data.DataSpec).</summary>
    public string Data { get; init; } = "fashion-mnist:train";

    /// <summary>Held-out data SPEC for accuracy after each epoch; null skips evaluation.</summary>
    public string? EvalData { get; init; }

    /// <summary>
    /// How image-folder data (Data and EvalData) becomes tensors: preprocess JSON as EdgeCompress.Data.Preprocess.ToJson
    /// writes it. Null takes the folder's preprocess.json, else the model input's defaults; other data kinds ignore it.
    /// </summary>
    public string? Preprocess { get; init; }

    /// <summary>Where the trained ONNX model goes (written atomically at the end).</summary>
    public string? OutputPath { get; init; }

    /// <summary>Checkpoint folder; null means OutputPath + ".ckpt".</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Continue from the checkpoint when it exists.</summary>
    public bool Resume { get; init; }

    /// <summary>Passes over the training data.</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>Mini-batch size.</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Peak learning rate of the one-cycle schedule (SGD with Nesterov momentum).</summary>
    public double LearningRate { get; init; } = 0.05;

    /// <summary>Weight decay.</summary>
    public double WeightDecay { get; init; } = 5e-4;

    /// <summary>Seed for initialisation, shuffling and dropout.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Distillation temperature T.</summary>
    public double Temperature { get; init; } = 4;

    /// <summary>Weight of the soft (teacher) loss; 1 - Alpha weighs hard-label cross-entropy.</summary>
    public double Alpha { get; init; } = 0.7;

    /// <summary>Intra-op threads; 0 uses every core.</summary>
    public int Threads { get; init; }

    /// <summary>Random horizontal flips and 2-pixel shifts while training.</summary>
    public bool Augment { get; init; }

    /// <summary>Stop after this many optimizer steps (tests, smoke runs); null runs every epoch.</summary>
    public int? MaxSteps { get; init; }

    /// <summary>For qat: activation quantisation as "uint8" or "int8".</summary>
    public string ActivationType { get; init; } = "uint8";

    /// <summary>For qat: one weight scale per output channel (true) or one per tensor.</summary>
    public bool PerChannelWeights { get; init; } = true;

    /// <summary>For qat: 7-bit weights (-63..63), which x86 hosts without VNNI need (see HostInt8).</summary>
    public bool ReduceRange { get; init; }

    /// <summary>
    /// For qat: how the starting activation ranges are calibrated: "ema" (moving average of per-batch min/max) or, as
    /// `edgec quantize` does it over histograms, "minmax", "percentile" or "entropy".
    /// </summary>
    public string CalibrationMethod { get; init; } = "ema";

    /// <summary>For qat with the percentile method: percentage of values kept inside the range.</summary>
    public double Percentile { get; init; } = 99.999;

    /// <summary>For qat: keep the calibrated activation ranges during training (only weights adapt).</summary>
    public bool FreezeRanges { get; init; }

    /// <summary>
    /// For distill: intermediate tensors to match (feature distillation). Empty keeps plain response-based
    /// distillation from precomputed teacher logits.
    /// </summary>
    public IReadOnlyList<FeaturePair> Features { get; init; } = [];

    /// <summary>Weight beta of the feature loss added to the distillation loss.</summary>
    public double FeatureWeight { get; init; } = 1;
}

/// <summary>One feature-distillation pair: an intermediate tensor (node output) of the teacher and of the student.</summary>
/// <param name="Teacher">Tensor name in the teacher graph.</param>
/// <param name="Student">Tensor name in the student graph.</param>
public sealed record FeaturePair(string Teacher, string Student)
{
    /// <summary>"TEACHER=STUDENT", the form the CLI takes and metadata records.</summary>
    public override string ToString() => $"{Teacher}={Student}";
}

/// <summary>One line the worker writes on stdout.</summary>
public sealed record WorkerEvent
{
    /// <summary>progress | log | result | error.</summary>
    public required string Type { get; init; }

    /// <summary>For progress events.</summary>
    public TrainingProgress? Progress { get; init; }

    /// <summary>For the result event (the last line of a successful or cancelled job).</summary>
    public TrainingResult? Result { get; init; }

    /// <summary>For log and error events.</summary>
    public string? Message { get; init; }

    /// <summary>For errors: "input" (bad model, data or option) or "fault" (a bug or the runtime failing).</summary>
    public string? ErrorKind { get; init; }
}

/// <summary>Where a job stands.</summary>
/// <param name="Phase">"train", "eval", "teacher" (computing soft targets) or "calibrate".</param>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Epochs">Total epochs.</param>
/// <param name="Step">Steps done in this epoch.</param>
/// <param name="Steps">Steps in an epoch.</param>
/// <param name="Loss">Mean training loss so far in this epoch.</param>
/// <param name="Accuracy">Training accuracy so far in this epoch (0..1), or the evaluation accuracy in "eval".</param>
/// <param name="EtaSeconds">Estimated seconds until the whole job ends.</param>
/// <param name="SamplesPerSecond">Training throughput.</param>
public sealed record TrainingProgress(string Phase, int Epoch, int Epochs, int Step, int Steps, double Loss, double? Accuracy, double? EtaSeconds, double SamplesPerSecond)
{
    /// <summary>Mean feature-distillation loss (unweighted) so far in this epoch, when features are matched.</summary>
    public double? FeatureLoss { get; init; }
}

/// <summary>What a finished (or interrupted) job produced.</summary>
public sealed record TrainingResult
{
    /// <summary>The written model, or null when the job was cancelled before the end.</summary>
    public string? OutputPath { get; init; }

    /// <summary>Accuracy on the evaluation data at the end (0..1), when evaluated.</summary>
    public double? Accuracy { get; init; }

    /// <summary>Mean loss over the first 20 training steps run in this job.</summary>
    public double FirstLoss { get; init; }

    /// <summary>Mean loss over the last 20 training steps run in this job.</summary>
    public double LastLoss { get; init; }

    /// <summary>Mean feature-distillation loss (unweighted MSE) over the first 20 steps, when features are matched.</summary>
    public double? FirstFeatureLoss { get; init; }

    /// <summary>Mean feature-distillation loss over the last 20 steps, when features are matched.</summary>
    public double? LastFeatureLoss { get; init; }

    /// <summary>Mean training loss per epoch run in this job.</summary>
    public IReadOnlyList<double> EpochLosses { get; init; } = [];

    /// <summary>Accuracy after each epoch (when evaluated).</summary>
    public IReadOnlyList<double> EpochAccuracies { get; init; } = [];

    /// <summary>Optimizer steps run in this job.</summary>
    public int Steps { get; init; }

    /// <summary>Wall time of the job in seconds.</summary>
    public double Seconds { get; init; }

    /// <summary>Trainable parameters of the model.</summary>
    public long Parameters { get; init; }

    /// <summary>True when stopped by cancellation; the checkpoint can resume it.</summary>
    public bool Cancelled { get; init; }

    /// <summary>The checkpoint folder left behind (on cancel), or null.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Threads libtorch used.</summary>
    public int Threads { get; init; }

    /// <summary>For qat: accuracy of the float model before quantisation.</summary>
    public double? FloatAccuracy { get; init; }

    /// <summary>For qat: accuracy after static post-training quantisation (calibration only, no training).</summary>
    public double? PtqAccuracy { get; init; }
}

/// <summary>JSON for the worker protocol (source-generated, so the client stays trimming/AOT safe).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(WorkerRequest))]
[JsonSerializable(typeof(WorkerEvent))]
public sealed partial class ProtocolJson : JsonSerializerContext
{
    /// <summary>One compact line of JSON for a request.</summary>
    public static string Line(WorkerRequest r) => JsonSerializer.Serialize(r, Default.WorkerRequest);

    /// <summary>One compact line of JSON for an event.</summary>
    public static string Line(WorkerEvent e) => JsonSerializer.Serialize(e, Default.WorkerEvent);
}
