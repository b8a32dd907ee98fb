using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using EdgeCompress.Cli.Tests.Support;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;

namespace EdgeCompress.Cli.Tests;

/// <summary>
/// Exports real architectures at test time (eng/zoo/export_zoo.py: Debian's python3-torch and python3-torchvision,
/// seeded random weights, nothing downloaded) once for the class. Without Python and its packages the fixture
/// throws and every zoo test fails: CI must not pass by skipping them.
/// </summary>
public sealed class ZooFixture : IDisposable
{
    /// <summary>The models the suite runs (the table's other rows, ResNet-50 and MobileNetV3-Large, are covered by
    /// eng/zoo/run.sh: the same blocks at a larger size).</summary>
    public const string Models = "resnet18,mobilenet_v3_small,efficientnet_b0,shufflenet_v2_x1_0,squeezenet1_1,vit_s6_16,ssdlite320_mobilenet_v3_large,text_transformer,mobilenet_v2_fp16,yolov8n_style";

    public ZooFixture()
    {
        Dir = Directory.CreateTempSubdirectory("edgec-zoo-").FullName;
        var root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "EdgeCompress.sln")))
        {
            root = Path.GetDirectoryName(root);
        }
        var script = Path.Combine(root ?? throw new InvalidOperationException("checkout root not found"), "eng", "zoo", "export_zoo.py");
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { script, Dir, "--models", Models })
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"export_zoo.py failed ({p.ExitCode}): needs /usr/bin/python3 with python3-torch, python3-torchvision and python3-onnx (eng/bootstrap.sh installs them)\n{stdout}\n{stderr.Result}");
        }
    }

    public string Dir { get; }

    public string Model(string name) => Path.Combine(Dir, name + ".onnx");

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}

[Trait("Category", "zoo")]
public sealed class ZooTests : IClassFixture<ZooFixture>
{
    private readonly ZooFixture _zoo;

    public ZooTests(ZooFixture zoo) => _zoo = zoo;

    public static TheoryData<string> Models => new(ZooFixture.Models.Split(','));

    private static double[] Cosines(string stdout) =>
        Regex.Matches(stdout, @"^\s+output '[^']+': .*cosine ([0-9.]+)", RegexOptions.Multiline)
            .Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToArray();

    private static (long Macs, int Unknown) Macs(OnnxModel model)
    {
        var cost = CostModel.Compute(model, ShapeInference.Infer(model));
        return (cost.TotalMacs, cost.UnknownMacNodes);
    }

    /// <summary>Runs the model once in ONNX Runtime on synthetic inputs and returns its first output.</summary>
    private static RunOutput RunOnce(string path)
    {
        var model = OnnxModel.Load(path);
        using var runner = ModelRunner.Create(model, Path.GetFileName(path));
        var sample = DataSpec.Parse("synthetic:1").Open(runner.Inputs, 1).First();
        return runner.Run(sample)[0];
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Static_int8_keeps_every_output_faithful_and_counts_the_same_MACs_as_the_float_model(string name)
    {
        var input = _zoo.Model(name);
        var output = Path.Combine(_zoo.Dir, name + ".int8.onnx");
        var run = await CliRunner.RunAsync("quantize", input, "--out", output, "--calibration", "synthetic:8");

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        // The speed check timed int8 against float here and says what it kept float for speed, if anything; a layer
        // it kept float is float in the file.
        Assert.Matches(@"speed check\s+int8 (was )?[0-9.]+x the float model", run.Stdout);
        foreach (Match kept in Regex.Matches(run.Stdout, @"- (\S+) \(Conv\): kept float: its int8 form is slower on this host"))
        {
            var conv = OnnxModel.Load(output).Graph.Nodes.Single(n => OnnxGraph.NodeLabel(n) == kept.Groups[1].Value);
            Assert.NotEqual("DequantizeLinear", OnnxModel.Load(output).Graph.Producer(conv.Input[1])?.OpType); // float weights
        }
        var cosines = Cosines(run.Stdout);
        Assert.NotEmpty(cosines);
        Assert.All(cosines, c => Assert.True(c >= 0.98, $"{name}: output cosine {c} < 0.98\n{run.Stdout}"));
        // Embedding tables (Gather) are int8 too: the text model's 8000x192 embedding was 63% of it when left float (0.733x).
        Assert.True(new FileInfo(output).Length < 0.6 * new FileInfo(input).Length, $"{name}: {new FileInfo(output).Length} of {new FileInfo(input).Length} bytes");

        // The cost model counts the int8 graph's work as the float graph's, also with ONNX Runtime's own
        // com.microsoft QuantizeLinear/DequantizeLinear (what its tool writes for older opsets).
        var floatMacs = Macs(OnnxModel.Load(input));
        var int8 = OnnxModel.Load(output);
        Assert.Equal(floatMacs, Macs(int8));
        foreach (var n in int8.Graph.Proto.Node.Where(n => n.OpType is "QuantizeLinear" or "DequantizeLinear"))
        {
            n.Domain = "com.microsoft";
        }
        int8.Proto.OpsetImport.Add(new EdgeCompress.Onnx.Protos.OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        Assert.Equal(floatMacs, Macs(int8));
        Assert.True(floatMacs.Macs > 1_000_000, $"{name}: {floatMacs.Macs} MACs");
    }

    /// <summary>Labelled images for the zoo's 224x224 RGB inputs: 40 Fashion-MNIST test images exported as PNG class
    /// folders, without their 28x28 preprocess.json, so each model's own input shape decides the preprocessing.</summary>
    private async Task<string> LabelledImagesAsync()
    {
        var dir = Path.Combine(_zoo.Dir, "fm-images");
        if (!Directory.Exists(dir))
        {
            var export = await CliRunner.RunAsync("data", "export", "fashion-mnist:test@40", "--out", dir);
            Assert.True(export.ExitCode == 0, export.Stdout + export.Stderr);
            File.Delete(Path.Combine(dir, "preprocess.json"));
        }
        return dir;
    }

    [Fact]
    [Trait("Category", "training")]
    public async Task QAT_trains_a_zoo_model_and_writes_a_QDQ_model_that_runs()
    {
        var output = Path.Combine(_zoo.Dir, "squeezenet1_1.qat.onnx");

        var run = await CliRunner.RunAsync("qat", _zoo.Model("squeezenet1_1"), "--data", await LabelledImagesAsync(), "--epochs", "1",
            "--max-steps", "2", "--batch-size", "8", "--eval", "none", "--out", output);

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        var model = OnnxModel.Load(output);
        Assert.Contains(model.Graph.Nodes, n => n.OpType == "QuantizeLinear");
        Assert.Equal(1000, RunOnce(output).Values.Length);
    }

    [Fact]
    [Trait("Category", "training")]
    public async Task Distillation_from_a_zoo_teacher_with_a_fixed_batch_of_one_trains_a_zoo_student()
    {
        // torchvision exports fix the batch at 1: the teacher is run one image at a time instead of failing on a batch.
        var output = Path.Combine(_zoo.Dir, "squeezenet1_1.distilled.onnx");
        var images = await LabelledImagesAsync();

        var run = await CliRunner.RunAsync("distill", "--teacher", _zoo.Model("resnet18"), "--student", _zoo.Model("squeezenet1_1"),
            "--data", images, "--epochs", "1", "--max-steps", "2", "--batch-size", "8", "--eval", "none", "--out", output);
        var builtIn = await CliRunner.RunAsync("distill", "--teacher", _zoo.Model("resnet18"), "--arch", "mobilenet-v2@0.5",
            "--data", images, "--out", Path.Combine(_zoo.Dir, "never.onnx"));

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Contains("teacher soft targets 40/40", run.Stdout + run.Stderr, StringComparison.Ordinal);
        Assert.Equal(1000, RunOnce(output).Values.Length);
        Assert.Equal(2, builtIn.ExitCode);
        Assert.Contains("--arch mobilenet-v2@0.5 builds a student for 1x28x28 single-channel images (Fashion-MNIST), but the teacher", builtIn.Stderr, StringComparison.Ordinal);
        Assert.Contains("takes [1,3,224,224]", builtIn.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_zoo.Dir, "never.onnx")));
    }

    [Fact]
    public async Task For_a_board_profile_the_host_speed_check_is_not_run_and_the_table_says_why()
    {
        var output = Path.Combine(_zoo.Dir, "mnv3-rpi5.int8.onnx");
        var run = await CliRunner.RunAsync("quantize", _zoo.Model("mobilenet_v3_small"), "--out", output, "--calibration", "synthetic:4", "--profile", "rpi5");

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Contains("speed check     not run: profile rpi5 is aarch64, this host x86_64", run.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Channel_pruning_removes_work_or_says_per_layer_why_not_and_the_output_runs(string name)
    {
        var input = _zoo.Model(name);
        var output = Path.Combine(_zoo.Dir, name + ".p30.onnx");
        var run = await CliRunner.RunAsync("prune", input, "--out", output, "--channels", "0.3");

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        var macs = Regex.Match(run.Stdout, @"MACs [0-9,]+ -> [0-9,]+ \(([0-9.]+)x\)");
        Assert.True(macs.Success, run.Stdout);
        Assert.True(double.Parse(macs.Groups[1].Value, CultureInfo.InvariantCulture) < 0.95, $"{name}: {macs.Value}");
        Assert.True(Macs(OnnxModel.Load(output)).Macs < Macs(OnnxModel.Load(input)).Macs);
        // Every layer group left alone is named with its reason.
        if (run.Stderr.Contains("did less than asked", StringComparison.Ordinal))
        {
            Assert.Matches(@"warning: layer \S+.* not pruned: \S", run.Stderr);
        }
        var reference = RunOnce(input);
        var pruned = RunOnce(output);
        Assert.Equal(reference.Dims, pruned.Dims);
        Assert.All(pruned.Values, v => Assert.True(float.IsFinite(v)));
        if (name is "vit_s6_16" or "text_transformer")
        {
            // Attention heads go whole (q, k, v, out-projection), next to the MLP width.
            Assert.Matches(@"self_att\S*/MatMul\s+MatMul\s+[0-9,]+ -> [0-9,]+\s+pruned [1-9]\d*/\d+ heads of (48|64)", run.Stdout);
        }
        if (name == "yolov8n_style")
        {
            // C2f's chunk/concat and shortcut adds, SPPF and the neck's upsample-concat all prune; the box bins the
            // DFL reshapes into 4 x 16 are named, not silently kept.
            Assert.True(double.Parse(macs.Groups[1].Value, CultureInfo.InvariantCulture) < 0.6, macs.Value);
            Assert.Matches(@"/box\.0/\S+/Conv.* not pruned: /Reshape_\d+ \(Reshape\) splits them into 4 groups of 16", run.Stderr);
        }
        if (name is "vit_s6_16" or "text_transformer")
        {
            // The residual width too: from the patch projection (ViT, through the class token) or the embedding
            // table's columns (text), through the position embedding and every LayerNorm; nothing else is left.
            Assert.Matches(name == "vit_s6_16"
                ? @"/conv_proj/Conv\s+Conv\s+[0-9,]+ -> [0-9,]+\s+pruned [1-9]\d*/384 channels"
                : @"/embed/Gather\s+Gather\s+1,536,000 -> [0-9,]+\s+pruned [1-9]\d*/192 channels", run.Stdout);
            Assert.DoesNotMatch(@"not pruned: (?!its channels are model output)", run.Stderr);
        }
    }

    [Fact]
    public async Task Removing_a_dead_attention_head_leaves_the_outputs_unchanged()
    {
        // text_transformer: two torch MultiheadAttention layers, 4 heads of 48, q/k/v in one [192, 576] projection.
        // Head 2 of each layer gets zero q, k and v columns and bias entries: it attends uniformly to zeros and adds
        // nothing, so removing it (the lowest L1 score) must leave the logits as they were.
        var model = OnnxModel.Load(_zoo.Model("text_transformer"));
        var projections = model.Graph.Nodes.Where(n => n.OpType == "MatMul" && OnnxGraph.NodeLabel(n).EndsWith("/self_attn/MatMul", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, projections.Count);
        foreach (var mm in projections)
        {
            var bias = model.Graph.Consumers(mm.Output[0]).Single(n => n.OpType == "Add").Input.First(i => model.Graph.GetConstant(i) is not null);
            foreach (var (tensor, rows) in new[] { (mm.Input[1], 192), (bias, 1) })
            {
                var t = model.Graph.GetConstant(tensor)!;
                var v = TensorData.ToFloats(t);
                for (var row = 0; row < rows; row++)
                {
                    for (var part = 0; part < 3; part++)
                    {
                        Array.Clear(v, (row * 576) + (part * 192) + (2 * 48), 48);
                    }
                }
                TensorData.SetValues<float>(t, t.Dims.ToArray(), v);
            }
        }
        var dead = Path.Combine(_zoo.Dir, "text_dead_head.onnx");
        model.Save(dead);
        var output = Path.Combine(_zoo.Dir, "text_dead_head.pruned.onnx");

        var run = await CliRunner.RunAsync("prune", dead, "--out", output, "--channels", "0.25",
            "--only", OnnxGraph.NodeLabel(projections[0]), "--only", OnnxGraph.NodeLabel(projections[1]));

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Equal(2, Regex.Count(run.Stdout, @"MatMul\s+110,592 -> 82,944\s+pruned 1/4 heads of 48"));
        var before = RunOnce(dead);
        var after = RunOnce(output);
        Assert.Equal(before.Dims, after.Dims);
        for (var i = 0; i < before.Values.Length; i++)
        {
            Assert.True(Math.Abs(before.Values[i] - after.Values[i]) <= 1e-4 * (1 + Math.Abs(before.Values[i])), $"logit {i}: {before.Values[i]} vs {after.Values[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Factorization_to_a_parameter_target_writes_a_model_that_runs(string name)
    {
        var input = _zoo.Model(name);
        var output = Path.Combine(_zoo.Dir, name + ".fact.onnx");
        var run = await CliRunner.RunAsync("factorize", input, "--out", output, "--params", "0.6");

        // Every zoo model reaches the target (text_transformer only since embedding tables factorize: the table holds
        // 63% of its parameters).
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.True(File.Exists(output), run.Stderr);
        Assert.Matches(@"params [0-9.]+[kMG]? -> [0-9.]+[kMG]? \(0\.[0-9]+x\)", run.Stdout);
        var reference = RunOnce(input);
        var factorized = RunOnce(output);
        Assert.Equal(reference.Dims, factorized.Dims);
        if (name == "vit_s6_16")
        {
            Assert.Matches(@"MatMul\s+svd rank \d+", run.Stdout); // transformer projections and MLPs are factorized
        }
        if (name == "text_transformer")
        {
            Assert.Matches(@"/embed/Gather\s+Gather\s+svd rank \d+", run.Stdout);
        }
    }
}
