using EdgeCompress.Compression.Factorization;
using EdgeCompress.Compression.Passes;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Tests.Factorization;

/// <summary>The libonnx-testdata Conv, Linear and Gemm models, factorized, still load and run in ONNX Runtime and
/// give outputs of the shapes their reference outputs have.</summary>
public class TestdataStructureTests
{
    private const string Root = "/usr/share/libonnx-testdata/data";

    public static TheoryData<string, string> Models()
    {
        var data = new TheoryData<string, string>();
        foreach (var dir in Directory.GetDirectories(Path.Combine(Root, "pytorch-converted"), "test_Conv*")
            .Concat(Directory.GetDirectories(Path.Combine(Root, "pytorch-converted"), "test_Linear*"))
            .Concat(Directory.GetDirectories(Path.Combine(Root, "node"), "test_gemm_*"))
            .Order(StringComparer.Ordinal))
        {
            foreach (var method in new[] { "auto", "cp", "svd" })
            {
                data.Add(Path.GetRelativePath(Root, dir), method);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Factorized_testdata_model_runs_in_onnx_runtime_with_the_reference_output_shape(string relative, string method)
    {
        var dir = Path.Combine(Root, relative);
        var model = OnnxModel.Load(Path.Combine(dir, "model.onnx"));
        var inputs = Directory.GetFiles(Path.Combine(dir, "test_data_set_0"), "input_*.pb").Order(StringComparer.Ordinal)
            .Select(f => TensorProto.Parser.ParseFrom(File.ReadAllBytes(f))).ToList();
        var expected = TensorProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, "test_data_set_0", "output_0.pb")));
        if (relative.StartsWith("node", StringComparison.Ordinal))
        {
            // The node tests feed B and C as inputs; a deployed Gemm has them as weights, so make them constants.
            foreach (var (name, tensor) in model.Graph.RealInputs.Select(i => i.Name).Zip(inputs).Skip(1).ToList())
            {
                tensor.Name = name;
                model.Graph.Proto.Input.Remove(model.Graph.Proto.Input.Single(i => i.Name == name));
                model.Graph.SetInitializer(tensor);
            }
            inputs = inputs.Take(1).ToList();
        }
        if (model.OpsetVersion() < 7)
        {
            // ONNX Runtime implements Gemm from opset 7 only; Conv and MatMul are unchanged between 6 and 7.
            model.Proto.OpsetImport.Single(o => (o.Domain ?? "").Length == 0).Version = 7;
        }
        var options = new FactorizeOptions
        {
            Selection = RankSelection.Fixed,
            Rank = 1,
            MinSaving = 0,
            Method = Enum.Parse<FactorMethod>(method, ignoreCase: true),
        };

        var grouped = model.Graph.Nodes.Any(n => n.GetInt("group", 1) != 1);
        var transposed = model.Graph.Nodes.Any(n => n.OpType == "ConvTranspose");
        PassResult result;
        try
        {
            result = new FactorizePass(options).Apply(model);
        }
        catch (EdgeCompress.Compression.Passes.WorkFailedException refused)
        {
            // Only a model with nothing to factorize may be refused, and the refusal says so instead of writing the
            // model unchanged.
            Assert.True(grouped || transposed, refused.Message);
            Assert.Contains("changed no layer", refused.Message, StringComparison.Ordinal);
            return;
        }
        if (!grouped && !transposed)
        {
            Assert.True(result.Record.Totals["layers_factorized"] >= 1, string.Join("; ", result.Record.Warnings));
            static int Layers(OnnxModel m) => m.Graph.Nodes.Count(n => n.OpType is "Gemm" or "MatMul" or "Conv");
            Assert.True(Layers(result.Model) > Layers(model));
        }
        using var runner = ModelRunner.Create(result.Model, relative);
        var sample = new Sample(runner.Inputs.Zip(inputs)
            .Select(p => new SampleTensor(p.First.Name, p.Second.Dims.ToArray(), TensorData.ToFloats(p.Second), null, TensorProto.Types.DataType.Float))
            .ToList(), null);
        var output = runner.Run(sample)[0];
        Assert.Equal(expected.Dims.ToArray(), output.Dims);
    }
}
