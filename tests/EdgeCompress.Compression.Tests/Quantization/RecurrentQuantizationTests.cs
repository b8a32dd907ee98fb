using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Quantization;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using Xunit.Abstractions;
using static EdgeCompress.Compression.Tests.TestModels;

namespace EdgeCompress.Compression.Tests.Quantization;

/// <summary>Dynamic int8 for recurrent models: LSTMs become com.microsoft DynamicQuantizeLSTM and run in stock ONNX
/// Runtime close to the float outputs; GRUs (ONNX Runtime has no int8 GRU kernel) stay float, or on request get int8
/// weight storage only, with a warning that names them.</summary>
public class RecurrentQuantizationTests(ITestOutputHelper log)
{
    private const string NodeSuite = "/usr/share/libonnx-testdata/data/node";

    /// <summary>A bidirectional LSTM (or GRU), 64 inputs, 128 hidden, over 16 steps of a batch of 4: ~790 KB of float
    /// weights (LSTM), initialised like PyTorch (uniform within 1/sqrt(hidden)).</summary>
    internal static OnnxModel BigLstm(string direction = "bidirectional", int seed = 11, string op = "LSTM")
    {
        const int input = 64, hidden = 128, steps = 16, batch = 4;
        var dirs = direction == "bidirectional" ? 2 : 1;
        var gates = op == "LSTM" ? 4 : 3;
        var r = new Random(seed);
        var bound = 1.0 / Math.Sqrt(hidden);
        var g = new GraphProto { Name = "big_lstm" };
        g.Input.Add(Value("x", TensorProto.Types.DataType.Float, steps, batch, input));
        g.Output.Add(Value("y", TensorProto.Types.DataType.Float, steps, dirs, batch, hidden));
        g.Output.Add(Value("y_h", TensorProto.Types.DataType.Float, dirs, batch, hidden));
        g.Initializer.Add(TensorData.FromFloats("W", [dirs, gates * hidden, input], Random(r, dirs * gates * hidden * input, bound)));
        g.Initializer.Add(TensorData.FromFloats("R", [dirs, gates * hidden, hidden], Random(r, dirs * gates * hidden * hidden, bound)));
        g.Initializer.Add(TensorData.FromFloats("B", [dirs, 2 * gates * hidden], Random(r, dirs * 2 * gates * hidden, bound)));
        g.Node.Add(Node(op, "encoder", ["x", "W", "R", "B"], ["y", "y_h"], n =>
        {
            n.SetInt("hidden_size", hidden);
            n.SetString("direction", direction);
        }));
        var m = new ModelProto { IrVersion = 8, ProducerName = "edgecompress-tests", Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 14 });
        return new OnnxModel(m);
    }

    /// <summary>A node-suite model with every input after X (weights, biases, lengths, initial states) made a constant
    /// from its stored test data, as a deployed model has them; returns it with X and the expected first output.</summary>
    private static (OnnxModel Model, Sample X, float[] Expected) Frozen(string test)
    {
        var dir = Path.Combine(NodeSuite, test);
        var model = OnnxModel.Load(Path.Combine(dir, "model.onnx"));
        var set = Path.Combine(dir, "test_data_set_0");
        var inputs = model.Graph.Proto.Input.ToList();
        for (var i = 1; i < inputs.Count; i++)
        {
            var t = TensorProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(set, $"input_{i}.pb")));
            t.Name = inputs[i].Name;
            model.Graph.SetInitializer(t);
            model.Graph.RemoveGraphInputs(v => v == inputs[i]);
        }
        var x = TensorProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(set, "input_0.pb")));
        var sample = new Sample([new SampleTensor(inputs[0].Name, x.Dims.ToArray(), TensorData.ToFloats(x), null, TensorProto.Types.DataType.Float)], null);
        var expected = TensorData.ToFloats(TensorProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(set, "output_0.pb"))));
        return (model, sample, expected);
    }

    private static OnnxModel Dynamic(OnnxModel model, bool perChannel, bool weightOnlyRecurrent = false) =>
        QuantizationPipeline.Run(model, new QuantizationOptions
        {
            Mode = QuantizationMode.Dynamic, PerChannel = perChannel, ReduceRange = HostInt8.NeedsReduceRange, WeightOnlyRecurrent = weightOnlyRecurrent,
        }, null).Quantized;

    private static float[] RunFirst(OnnxModel model, Sample sample, string label)
    {
        // Round-trip through bytes: what ONNX Runtime loads is exactly what edgec would write.
        using var runner = ModelRunner.Create(OnnxModel.Load(new MemoryStream(model.ToBytes())), label);
        return runner.Run(sample)[0].Values;
    }

    [Theory]
    [InlineData("test_lstm_defaults")]
    [InlineData("test_lstm_with_initial_bias")]
    [InlineData("test_lstm_with_peepholes")]
    public void Node_suite_lstm_becomes_DynamicQuantizeLSTM_and_stays_close_to_the_stored_outputs(string test)
    {
        if (!Directory.Exists(Path.Combine(NodeSuite, test)))
        {
            Assert.Fail($"{NodeSuite}/{test} missing; is libonnx-testdata installed?");
        }
        var (model, x, expected) = Frozen(test);
        var q = Dynamic(model, perChannel: true);
        Assert.Equal("DynamicQuantizeLSTM", Assert.Single(q.Graph.Nodes).OpType);
        var f = new Fidelity();
        f.Add(expected, RunFirst(q, x, test));
        log.WriteLine($"{test}: cosine {f.Cosine:F6}, max abs error {f.MaxAbsError:G3} vs the stored float outputs");
        // The suite's weights are constants (0.1, 0.2, ...), which int8 holds almost exactly.
        Assert.True(f.Cosine > 0.999 && f.MaxAbsError < 0.02, $"cosine {f.Cosine}, max abs {f.MaxAbsError}");
    }

    [Theory]
    [InlineData("bidirectional", true)]
    [InlineData("forward", false)]
    public void Big_lstm_quantized_dynamic_is_under_0_28x_the_size_and_keeps_cosine_above_0_99(string direction, bool perChannel)
    {
        var model = BigLstm(direction);
        var q = Dynamic(model, perChannel);
        var lstm = Assert.Single(q.Graph.Nodes);
        Assert.Equal("DynamicQuantizeLSTM", lstm.OpType);
        Assert.Equal("com.microsoft", lstm.Domain);
        var ratio = (double)q.ToBytes().Length / model.ToBytes().Length;
        var r = new Random(3);
        var x = Enumerable.Range(0, 16 * 4 * 64).Select(_ => (float)((r.NextDouble() * 2) - 1)).ToArray();
        var sample = new Sample([new SampleTensor("x", [16, 4, 64], x, null, TensorProto.Types.DataType.Float)], null);
        var f = new Fidelity();
        f.Add(RunFirst(model, sample, "float"), RunFirst(q, sample, "int8"));
        log.WriteLine($"{direction} per-channel={perChannel}: {model.ToBytes().Length} -> {q.ToBytes().Length} bytes ({ratio:F3}x), cosine {f.Cosine:F6}, max abs error {f.MaxAbsError:G3}");
        // int8 W and R are 0.25x; the float bias (1 %) and, per channel, one scale and zero point per gate row (1.3 %)
        // make up the rest.
        Assert.True(ratio < 0.28, $"size ratio {ratio:F3}");
        Assert.True(f.Cosine > 0.99, $"cosine {f.Cosine}");
    }

    [Fact]
    public void Big_lstm_for_the_dynamic_figures_has_one_bidirectional_lstm_and_can_be_exported()
    {
        var model = BigLstm();
        // EDGEC_EXPORT_DIR=dir writes it for `edgec quantize --mode dynamic` measurements.
        if (Environment.GetEnvironmentVariable("EDGEC_EXPORT_DIR") is { Length: > 0 } export)
        {
            model.Save(Path.Combine(export, "big-lstm.onnx"));
            BigLstm(op: "GRU").Save(Path.Combine(export, "big-gru.onnx"));
        }
        Assert.Equal("bidirectional", Assert.Single(model.Graph.Nodes).GetString("direction", ""));
    }

    [Fact]
    public void Lstm_whose_weights_are_graph_inputs_stays_float_and_the_warning_names_it()
    {
        var model = OnnxModel.Load(Path.Combine(NodeSuite, "test_lstm_defaults", "model.onnx"));
        var outcome = QuantizationPipeline.Run(model, new QuantizationOptions { Mode = QuantizationMode.Dynamic }, null);
        Assert.Equal("LSTM", Assert.Single(outcome.Quantized.Graph.Nodes).OpType);
        Assert.Contains(outcome.Records[^1].Warnings, w => w.StartsWith("LSTM '", StringComparison.Ordinal) && w.Contains("W or R is not a constant", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("test_gru_defaults")]
    [InlineData("test_gru_with_initial_bias")]
    public void Node_suite_gru_with_weight_only_gets_int8_weights_a_warning_naming_it_and_stays_close_to_the_stored_outputs(string test)
    {
        var (model, x, expected) = Frozen(test);
        var options = new QuantizationOptions { Mode = QuantizationMode.Dynamic, ReduceRange = HostInt8.NeedsReduceRange, WeightOnlyRecurrent = true };
        var outcome = QuantizationPipeline.Run(model, options, null);
        var gru = outcome.Quantized.Graph.Nodes.Single(n => n.OpType == "GRU");
        Assert.Equal("DequantizeLinear", outcome.Quantized.Graph.Producer(gru.Input[1])?.OpType);
        Assert.Equal("DequantizeLinear", outcome.Quantized.Graph.Producer(gru.Input[2])?.OpType);
        var warning = Assert.Single(outcome.Records[^1].Warnings);
        Assert.StartsWith($"GRU '{OnnxGraph.NodeLabel(gru)}': ONNX Runtime has no int8 GRU kernel", warning, StringComparison.Ordinal);
        Assert.Contains("computed in float and dequantized every run (slower than float)", warning, StringComparison.Ordinal);
        var f = new Fidelity();
        f.Add(expected, RunFirst(outcome.Quantized, x, test));
        log.WriteLine($"{test}: cosine {f.Cosine:F6}, max abs error {f.MaxAbsError:G3} vs the stored float outputs");
        Assert.True(f.Cosine > 0.999 && f.MaxAbsError < 0.02, $"cosine {f.Cosine}, max abs {f.MaxAbsError}");
    }

    [Fact]
    public void Big_gru_with_weight_only_int8_is_under_0_28x_the_size_and_keeps_cosine_above_0_99()
    {
        var model = BigLstm(op: "GRU");
        var q = Dynamic(model, perChannel: true, weightOnlyRecurrent: true);
        var ratio = (double)q.ToBytes().Length / model.ToBytes().Length;
        var r = new Random(4);
        var x = Enumerable.Range(0, 16 * 4 * 64).Select(_ => (float)((r.NextDouble() * 2) - 1)).ToArray();
        var sample = new Sample([new SampleTensor("x", [16, 4, 64], x, null, TensorProto.Types.DataType.Float)], null);
        var f = new Fidelity();
        f.Add(RunFirst(model, sample, "float"), RunFirst(q, sample, "int8 weights"));
        log.WriteLine($"GRU: {model.ToBytes().Length} -> {q.ToBytes().Length} bytes ({ratio:F3}x), cosine {f.Cosine:F6}, max abs error {f.MaxAbsError:G3}");
        Assert.True(ratio < 0.28, $"size ratio {ratio:F3}");
        Assert.True(f.Cosine > 0.99, $"cosine {f.Cosine}");
    }

    [Fact]
    public void Gru_stays_float_by_default_and_the_warning_names_it_and_the_opt_in()
    {
        var (model, _, _) = Frozen("test_gru_defaults");
        var outcome = QuantizationPipeline.Run(model, new QuantizationOptions { Mode = QuantizationMode.Dynamic }, null);
        var gru = Assert.Single(outcome.Quantized.Graph.Nodes);
        Assert.Equal("GRU", gru.OpType);
        Assert.Equal(model.ToBytes().Length, outcome.Quantized.ToBytes().Length);
        Assert.Equal($"GRU '{OnnxGraph.NodeLabel(gru)}': ONNX Runtime has no int8 GRU kernel (only com.microsoft DynamicQuantizeLSTM, for LSTM): "
            + "kept float (--weight-only-recurrent stores its weights int8: 4x smaller but slower)", Assert.Single(outcome.Records[^1].Warnings));
    }

    [Fact]
    public void Static_mode_lists_the_lstm_as_kept_float_and_points_to_dynamic_mode()
    {
        var outcome = QuantizationPipeline.Run(BigLstm("forward"), new QuantizationOptions(), DataSpec.Parse("synthetic:2"));
        Assert.Equal("LSTM", Assert.Single(outcome.Quantized.Graph.Nodes).OpType);
        var layer = Assert.Single(outcome.Records[^1].Layers);
        Assert.Equal("kept float: static QDQ does not cover recurrent layers; --mode dynamic quantizes LSTM weights", layer.Action);
    }

    [Fact]
    public void Excluded_lstm_stays_float_without_a_warning()
    {
        var model = BigLstm("forward");
        var options = new QuantizationOptions { Mode = QuantizationMode.Dynamic, Exclude = new HashSet<string> { "encoder" } };
        var outcome = QuantizationPipeline.Run(model, options, null);
        Assert.Equal("LSTM", Assert.Single(outcome.Quantized.Graph.Nodes).OpType);
        Assert.Empty(outcome.Records[^1].Warnings);
    }
}
