using System.CommandLine;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Training;

namespace EdgeCompress.Cli.Commands;

/// <summary>
/// `edgec distill --teacher T.onnx (--student S.onnx | --arch NAME) --data SPEC --out OUT.onnx`: response-based
/// distillation. The teacher runs in ONNX Runtime once over the data; the student learns
/// alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * CE(labels). With --feature TEACHER_TENSOR=STUDENT_TENSOR
/// (repeatable) the student's intermediate tensors also learn to match the teacher's (feature distillation, weighted by
/// --feature-weight); the teacher then runs per batch, and the tensor names are checked by the worker, which knows the
/// graph an --arch student gets.
/// </summary>
internal static class DistillCommand
{
    public static Command Create(CliContext ctx)
    {
        var teacher = new Option<FileInfo>("--teacher") { Description = "teacher ONNX model", Required = true };
        var student = new Option<FileInfo?>("--student") { Description = "student ONNX model to start from (its graph is kept)" };
        var arch = new Option<string?>("--arch") { Description = "build a fresh student: vgg-s, vgg-sp, resnet-s, mobilenet-v2[@WIDTH], or thin@F (the teacher's architecture at F times its width)" };
        var data = new Option<string>("--data") { Description = "training data SPEC (unlabelled data learns from the teacher alone)", DefaultValueFactory = _ => "fashion-mnist:train" };
        var epochs = new Option<int>("--epochs") { Description = "passes over the data", DefaultValueFactory = _ => 6 };
        var output = new Option<FileInfo>("--out") { Description = "ONNX model to write", Required = true };
        var temperature = new Option<double>("--temperature") { Description = "softmax temperature T for soft targets", DefaultValueFactory = _ => 4 };
        var alpha = new Option<double>("--alpha") { Description = "weight of the soft loss (1 - alpha weighs hard labels)", DefaultValueFactory = _ => 0.7 };
        var feature = new Option<string[]>("--feature")
        {
            Description = "TEACHER_TENSOR=STUDENT_TENSOR: also match an intermediate tensor (node output) of the teacher with one of the student (repeatable; a wrong name lists candidates)",
        };
        var featureWeight = new Option<double>("--feature-weight") { Description = "weight of the feature loss (MSE) added to the distillation loss", DefaultValueFactory = _ => 1.0 };
        var common = TrainingFlags.Create();
        var command = new Command("distill", "Train a student model from a teacher's soft targets (knowledge distillation).");
        foreach (var o in new Option[] { teacher, student, arch, data, epochs, output, temperature, alpha, feature, featureWeight })
        {
            command.Options.Add(o);
        }
        common.AddTo(command);
        OptionRules.Add(command, (r => r.GetValue(student) is null == r.GetValue(arch) is null, "give exactly one of --student S.onnx or --arch NAME"));
        command.SetAction(EdgecApp.Guarded(ctx, (parse, ct) =>
        {
            var t = parse.GetValue(teacher)!;
            var s = parse.GetValue(student);
            var a = parse.GetValue(arch);
            foreach (var f in new[] { t, s })
            {
                if (f is { Exists: false })
                {
                    throw new UsageException($"{f.FullName}: no such file");
                }
            }
            if (a is not null && !a.StartsWith("thin@", StringComparison.Ordinal))
            {
                CheckBuiltInStudentFits(t.FullName, a);
            }
            var temp = parse.GetValue(temperature);
            var mix = parse.GetValue(alpha);
            if (temp <= 0 || mix is < 0 or > 1)
            {
                throw new UsageException("--temperature must be above 0 and --alpha within [0, 1]");
            }
            var pairs = (parse.GetValue(feature) ?? []).Select(ParsePair).ToArray();
            var beta = parse.GetValue(featureWeight);
            if (!(beta >= 0) || double.IsInfinity(beta))
            {
                throw new UsageException($"--feature-weight {beta}: must be a finite number, 0 or more");
            }
            var request = common.Request(parse, "distill", parse.GetValue(data)!, parse.GetValue(output)!, parse.GetValue(epochs)) with
            {
                TeacherPath = t.FullName,
                ModelPath = s?.FullName,
                Arch = a,
                Temperature = temp,
                Alpha = mix,
                Features = pairs,
                FeatureWeight = beta,
            };
            return TrainingFlags.RunAsync(ctx, request, ct);
        }));
        return command;
    }

    /// <summary>The built-in --arch students take 1x28x28 images; a teacher that takes anything else cannot teach them.</summary>
    private static void CheckBuiltInStudentFits(string teacherPath, string arch)
    {
        var inputs = ModelInputs.Of(EdgeCompress.Onnx.OnnxModel.Load(teacherPath));
        if (inputs is [{ Dims.Length: 4 } input, ..] && input.Dims.Skip(1).All(d => d > 0) && !input.Dims.Skip(1).SequenceEqual([1L, 28, 28]))
        {
            throw new UsageException($"--arch {arch} builds a student for 1x28x28 single-channel images (Fashion-MNIST), but the teacher " +
                $"{teacherPath} takes [{string.Join(',', input.Dims.Select(d => d > 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : "N"))}]: " +
                "give --student S.onnx, a smaller model with the teacher's input shape (its graph is trained as it is)");
        }
    }

    private static FeaturePair ParsePair(string text)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == text.Length - 1)
        {
            throw new UsageException($"--feature {text}: expected TEACHER_TENSOR=STUDENT_TENSOR (node output names, e.g. relu4.out=act12.out)");
        }
        return new FeaturePair(text[..eq], text[(eq + 1)..]);
    }
}
