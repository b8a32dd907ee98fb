using EdgeCompress.Cli;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Cli.Tests;

public sealed class FactorizeCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgec-factorize-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        using var o = new StringWriter();
        using var e = new StringWriter();
        var code = await EdgecApp.RunAsync(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private string WriteMlp(int rank = 8)
    {
        var path = Path.Combine(_dir, "mlp.onnx");
        LowRankMlp(rank).Save(path);
        return path;
    }

    [Fact]
    public async Task Factorize_writes_the_model_and_prints_rank_params_macs_and_error_per_layer()
    {
        var input = WriteMlp();
        var output = Path.Combine(_dir, "out.onnx");

        var (code, stdout, _) = await Run("factorize", input, "--out", output, "--rank-energy", "0.99", "--check", "synthetic:16");

        Assert.Equal(0, code);
        Assert.True(File.Exists(output));
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(stdout, @"fc0\s+Gemm\s+svd rank 8\s+65\.8k -> 4352\s+65\.5k -> 4096"), stdout);
        Assert.Matches(@"quality vs the original on synthetic:16, 16 samples \(random inputs", stdout);
        Assert.Matches(@"output '\w+': \w+: .*cosine 0\.99", stdout);
        var model = OnnxModel.Load(output);
        Assert.Equal(4, model.Graph.Nodes.Count(n => n.OpType == "Gemm"));
    }

    [Theory]
    [InlineData("--rank-energy", "1.5", "--rank-energy must be in (0, 1], got 1.5")]
    [InlineData("--rank-energy", "0", "--rank-energy must be in (0, 1], got 0")]
    [InlineData("--params", "1.2", "--params must be a fraction in (0, 1), got 1.2")]
    [InlineData("--rank", "fc0=300", "--rank fc0=300: rank 300 is larger than this svd layer allows (256)")]
    [InlineData("--exclude", "nope", "--exclude nope: no node with that name in the model")]
    public async Task Bad_settings_exit_2_with_one_line_and_write_nothing(string option, string value, string message)
    {
        var input = WriteMlp();
        var output = Path.Combine(_dir, "out.onnx");

        var (code, _, stderr) = await Run("factorize", input, "--out", output, option, value);

        Assert.Equal(2, code);
        Assert.True(stderr.Contains(message, StringComparison.Ordinal), stderr);
        Assert.StartsWith("edgec: ", stderr.Trim().Split('\n')[^1], StringComparison.Ordinal);
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.GetFiles(_dir, ".*.tmp"));
    }

    [Theory]
    [InlineData("--rank-energy 0.9 --calibration synthetic:8", "--calibration synthetic:8: only used with --params")]
    [InlineData("--params 0.5 --calibration fashion-mnist:val", "unknown split 'val'")]
    [InlineData("--params 0.5 --finetune synthetic:8 --finetune-epochs 0", "--finetune-epochs 0: must be 1 to 1000")]
    public async Task Bad_calibration_or_fine_tune_settings_exit_2_with_one_line_and_write_nothing(string options, string message)
    {
        var input = WriteMlp();
        var output = Path.Combine(_dir, "out.onnx");

        var (code, _, stderr) = await Run(["factorize", input, "--out", output, .. options.Split(' ')]);

        Assert.Equal(2, code);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("edgec: ", stderr, StringComparison.Ordinal);
        Assert.True(stderr.Contains(message, StringComparison.Ordinal), stderr);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task Params_target_with_calibration_says_the_ranks_were_spread_by_measured_output_error()
    {
        var input = WriteMlp();
        var output = Path.Combine(_dir, "out.onnx");

        var (code, stdout, stderr) = await Run("factorize", input, "--out", output, "--params", "0.5", "--calibration", "synthetic:32");

        Assert.True(code == 0, stderr);
        Assert.Contains("ranks spread by output error on synthetic:32 (32 samples)", stdout, StringComparison.Ordinal);
        Assert.Matches(@"\(0\.(4\d*|5)x\)", stdout);
        Assert.True(File.Exists(output));
    }

    [Fact]
    public async Task Output_path_equal_to_the_input_is_refused_and_the_input_is_untouched()
    {
        var input = WriteMlp();
        var before = await File.ReadAllBytesAsync(input);

        var (code, _, stderr) = await Run("factorize", input, "--out", input);

        Assert.Equal(2, code);
        Assert.Contains("is the input model", stderr, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(input));
    }

    [Fact]
    public async Task Fine_tuning_distils_from_the_original_keeping_the_factorized_graph()
    {
        var input = WriteMlp();
        var plain = Path.Combine(_dir, "plain.onnx");
        var output = Path.Combine(_dir, "out.onnx");
        Assert.Equal(0, (await Run("factorize", input, "--out", plain)).Code);

        var (code, _, stderr) = await Run("factorize", input, "--out", output, "--finetune", "synthetic:8");

        Assert.True(code == 0, stderr);
        Assert.DoesNotContain("accuracy was not recovered", stderr, StringComparison.Ordinal);
        Support.FineTuneAssert.SameGraphNewWeights(plain, output);
    }

    [Fact]
    public async Task A_model_whose_only_layer_has_computed_weights_is_refused_with_a_warning_naming_it()
    {
        var path = Path.Combine(_dir, "dyn.onnx");
        var g = new GraphProto { Name = "dyn" };
        g.Input.Add(Value("a", 4, 8));
        g.Input.Add(Value("b", 8, 6));
        g.Output.Add(new ValueInfoProto { Name = "y" });
        g.Node.Add(NodeAttributes.Create("MatMul", "mm", ["a", "b"], ["y"]));
        Wrap(g).Save(path);

        var (code, _, stderr) = await Run("factorize", path, "--out", Path.Combine(_dir, "o.onnx"));

        // Its only layer cannot be factorized, so nothing would change: refused, with the reason, and nothing written.
        Assert.Equal(1, code);
        Assert.Matches(@"edgec: factorize changed no layer of \S+dyn\.onnx: all 1 candidate layers were skipped \(1x 'weights are not constant[^']*'\); no model written", stderr);
        Assert.False(File.Exists(Path.Combine(_dir, "o.onnx")));
    }

    [Fact]
    public async Task Unreachable_parameter_target_writes_the_best_model_and_exits_1()
    {
        var input = WriteMlp();
        var output = Path.Combine(_dir, "out.onnx");

        // Biases alone are ~0.6% of the weights and the 10x256 output layer cannot shrink far: 0.01x is impossible.
        var (code, _, stderr) = await Run("factorize", input, "--out", output, "--params", "0.01");

        Assert.Equal(1, code);
        Assert.Contains("not reached", stderr, StringComparison.Ordinal);
        Assert.True(File.Exists(output));
    }

    private static OnnxModel LowRankMlp(int rank)
    {
        var r = new Random(1);
        var g = new GraphProto { Name = "mlp" };
        g.Input.Add(Value("x", -1, 256));
        g.Output.Add(new ValueInfoProto { Name = "y" });
        var widths = new[] { 256, 256, 10 };
        var prev = "x";
        for (var l = 0; l < 2; l++)
        {
            int m = widths[l + 1], n = widths[l];
            var u = Enumerable.Range(0, m * rank).Select(_ => (float)(r.NextDouble() - 0.5)).ToArray();
            var v = Enumerable.Range(0, n * rank).Select(_ => (float)(r.NextDouble() - 0.5)).ToArray();
            var w = new float[m * n];
            for (var i = 0; i < m; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    for (var k = 0; k < Math.Min(rank, m); k++)
                    {
                        w[(i * n) + j] += u[(i * rank) + k] * v[(j * rank) + k] / 4;
                    }
                }
            }
            g.Initializer.Add(TensorData.FromFloats($"fc{l}_w", [m, n], w));
            g.Initializer.Add(TensorData.FromFloats($"fc{l}_b", [m], new float[m]));
            var o = l == 1 ? "y" : $"h{l}";
            var node = NodeAttributes.Create("Gemm", $"fc{l}", [prev, $"fc{l}_w", $"fc{l}_b"], [o]);
            node.SetInt("transB", 1);
            g.Node.Add(node);
            prev = o;
        }
        return Wrap(g);
    }

    private static ValueInfoProto Value(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } };
    }

    private static OnnxModel Wrap(GraphProto g)
    {
        var m = new ModelProto { IrVersion = 8, Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return new OnnxModel(m);
    }
}
