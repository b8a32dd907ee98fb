using System.Globalization;
using EdgeCompress.Onnx.Protos;
using EdgeCompress.Training.Worker.Graph;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace EdgeCompress.Training.Worker;

/// <summary>
/// Feature distillation (FitNets-style hints): for each pair, the student's intermediate tensor, mapped by a
/// learnable adapter when channel counts differ (1x1 conv for [N,C,H,W], linear for [N,C]), should equal the
/// teacher's. The loss is the mean over pairs of the per-element MSE. The adapters train with the student but
/// belong to neither model: the exported student keeps exactly its own graph.
/// </summary>
internal sealed class FeatureDistiller : IDisposable
{
    private readonly FeatureTeacher _teacher;
    private readonly IReadOnlyList<FeaturePair> _pairs;
    private readonly ModuleList<nn.Module<Tensor, Tensor>> _adapters;
    private readonly bool[] _adapted;

    private FeatureDistiller(FeatureTeacher teacher, IReadOnlyList<FeaturePair> pairs, ModuleList<nn.Module<Tensor, Tensor>> adapters, bool[] adapted)
    {
        _teacher = teacher;
        _pairs = pairs;
        _adapters = adapters;
        _adapted = adapted;
    }

    /// <summary>The adapters as one module (their parameters join the optimizer; checkpoints save them).</summary>
    public nn.Module Adapters => _adapters;

    /// <summary>
    /// Checks the pairs against both graphs and one probe batch, then opens the teacher with the tensors as extra
    /// outputs and builds the adapters. Unknown names and shapes that cannot be matched are input errors naming the
    /// model, the tensor and its shape.
    /// </summary>
    public static FeatureDistiller Create(string teacherPath, GraphModule student, string studentLabel, IReadOnlyList<FeaturePair> pairs,
        Tensor probe, Action<string> log)
    {
        var teacherProto = Jobs.Load(teacherPath, "teacher");
        var teacherLabel = $"teacher {teacherPath}";
        foreach (var p in pairs)
        {
            FeatureNames.Require(teacherProto, teacherLabel, p.Teacher, p, names => TeacherShapes(teacherProto, teacherLabel, names, probe));
            FeatureNames.Require(student.Proto, studentLabel, p.Student, p, names => StudentShapes(student, names, probe));
        }
        var teacher = new FeatureTeacher(teacherProto, teacherLabel, [.. pairs.Select(p => p.Teacher)]);
        try
        {
            Dictionary<string, long[]> teacherShapes;
            using (NewDisposeScope())
            {
                teacherShapes = Shapes(teacher.Run(probe).Features);
            }
            var studentShapes = StudentShapes(student, [.. pairs.Select(p => p.Student)], probe);
            var adapters = new ModuleList<nn.Module<Tensor, Tensor>>();
            var adapted = new bool[pairs.Count];
            for (var i = 0; i < pairs.Count; i++)
            {
                var (t, s) = (teacherShapes[pairs[i].Teacher], studentShapes[pairs[i].Student]);
                if (t.Length != s.Length || t.Length < 2 || !t.Skip(2).SequenceEqual(s.Skip(2)) || t[0] != s[0])
                {
                    throw new TrainingInputException(
                        $"--feature {pairs[i]}: teacher tensor '{pairs[i].Teacher}' is {FeatureNames.Format(t)} but student tensor '{pairs[i].Student}' is {FeatureNames.Format(s)}; " +
                        "rank and spatial size must match (channel counts may differ)");
                }
                adapted[i] = t[1] != s[1];
                adapters.Add(adapted[i] ? Adapter(s[1], t[1], s.Length) : nn.Identity());
                log($"feature pair {pairs[i]}: teacher {FeatureNames.Format(t)}, student {FeatureNames.Format(s)}" +
                    (adapted[i] ? string.Create(CultureInfo.InvariantCulture, $", adapter {AdapterKind(s.Length)} {s[1]}->{t[1]} (trained, not exported)") : ""));
            }
            return new FeatureDistiller(teacher, pairs, adapters, adapted);
        }
        catch
        {
            teacher.Dispose();
            throw;
        }
    }

    /// <summary>
    /// One forward pass: the student's logits (with the graph kept for backward), the teacher's logits for the same
    /// inputs, and the unweighted feature loss (mean over pairs of per-element MSE).
    /// </summary>
    public (Tensor Logits, Tensor TeacherLogits, Tensor FeatureLoss) Forward(GraphModule student, Tensor x)
    {
        var capture = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var p in _pairs)
        {
            capture[p.Student] = null!;
        }
        var logits = student.Run(x, capture);
        var (teacherLogits, features) = _teacher.Run(x);
        Tensor? sum = null;
        for (var i = 0; i < _pairs.Count; i++)
        {
            var s = _adapters[i].call(capture[_pairs[i].Student]);
            var mse = F.mse_loss(s, features[_pairs[i].Teacher]);
            sum = sum is null ? mse : sum.Plus(mse);
        }
        return (logits, teacherLogits, sum!.Over(_pairs.Count));
    }

    /// <summary>Parameters of the adapters (empty when every pair has matching channels).</summary>
    public IEnumerable<Parameter> Parameters() => _adapters.parameters();

    /// <summary>How many pairs needed an adapter.</summary>
    public int AdaptedPairs => _adapted.Count(a => a);

    private static string AdapterKind(int rank) => rank switch
    {
        4 => "1x1 conv, channels",
        2 => "linear, features",
        _ => "linear over axis 1",
    };

    private static nn.Module<Tensor, Tensor> Adapter(long studentChannels, long teacherChannels, int rank) => rank switch
    {
        4 => nn.Conv2d(studentChannels, teacherChannels, 1),
        2 => nn.Linear(studentChannels, teacherChannels),
        _ => new ChannelLinear(studentChannels, teacherChannels),
    };

    private static Dictionary<string, long[]> TeacherShapes(ModelProto teacherProto, string label, IReadOnlyList<string> names, Tensor probe)
    {
        using var session = new FeatureTeacher(teacherProto, label, names);
        using var scope = NewDisposeScope();
        return Shapes(session.Run(probe).Features);
    }

    private static Dictionary<string, long[]> StudentShapes(GraphModule student, IReadOnlyList<string> names, Tensor probe)
    {
        var capture = names.Distinct(StringComparer.Ordinal).ToDictionary(n => n, _ => (Tensor)null!, StringComparer.Ordinal);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // Eval mode: a probe batch must not move the BatchNorm running statistics.
        student.eval();
        student.Run(probe, capture);
        student.train();
        return capture.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value.shape, StringComparer.Ordinal);
    }

    private static Dictionary<string, long[]> Shapes(Dictionary<string, Tensor> tensors) =>
        tensors.ToDictionary(kv => kv.Key, kv => kv.Value.shape, StringComparer.Ordinal);

    public void Dispose()
    {
        _teacher.Dispose();
        _adapters.Dispose();
    }

    /// <summary>A linear map over axis 1 of a tensor of any rank (a 1x1 convolution in general form).</summary>
    private sealed class ChannelLinear : nn.Module<Tensor, Tensor>
    {
        private readonly Linear _linear;

        public ChannelLinear(long inChannels, long outChannels) : base(nameof(ChannelLinear))
        {
            _linear = nn.Linear(inChannels, outChannels);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => _linear.call(input.movedim([1L], [-1L])).movedim([-1L], [1L]);
    }
}
