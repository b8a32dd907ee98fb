using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Factorization;
using EdgeCompress.Compression.Passes;
using EdgeCompress.Compression.Pruning;
using EdgeCompress.Compression.Tests.Pruning;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Tests.Precision;

/// <summary>
/// A float16 model goes through every pass the same way: computed in float32, written back in float16 (before, one
/// pass pruned float16 weights, one refused them and one skipped them).
/// </summary>
public class Float16PassTests
{
    private const int F16 = (int)TensorProto.Types.DataType.Float16;

    /// <summary>A float16 copy of a float32 model: every initializer, input and output in float16.</summary>
    internal static OnnxModel Float16Copy(OnnxModel model)
    {
        var g = model.Graph.Proto;
        var all = new Float16Record(
            g.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal),
            g.Input.Concat(g.Output).Select(v => v.Name).ToHashSet(StringComparer.Ordinal),
            new HashSet<string>(StringComparer.Ordinal),
            new HashSet<string>(StringComparer.Ordinal));
        return Float16Precision.ToFloat16(model, all);
    }

    public static TheoryData<string> Passes() => ["channels", "unstructured", "factorize"];

    private static ICompressionPass Pass(string name) => name switch
    {
        "channels" => new ChannelPruningPass(new ChannelPruningOptions { Ratio = 0.5 }),
        "unstructured" => new UnstructuredPruningPass(new UnstructuredPruningOptions { Sparsity = 0.5 }),
        _ => new FactorizePass(new FactorizeOptions { Selection = RankSelection.ParamsFraction, ParamsFraction = 0.5 }),
    };

    [Theory]
    [MemberData(nameof(Passes))]
    public void A_float16_model_is_compressed_like_its_float32_twin_and_written_in_float16(string pass)
    {
        var float32 = TestModels.SmallCnn(c1: 32, c2: 64);
        var float16 = Float16Copy(float32);
        Assert.True(Float16Precision.Applies(float16));

        var twin = Pass(pass).Apply(float32);
        var result = Pass(pass).Apply(float16);

        Assert.Equal(Float16Precision.Note, result.Record.Warnings[0]);
        var g = result.Model.Graph.Proto;
        Assert.All(g.Initializer.Where(t => t.DataType != (int)TensorProto.Types.DataType.Int64), t => Assert.True(t.DataType == F16, $"{t.Name} is {(TensorProto.Types.DataType)t.DataType}"));
        Assert.All(g.Input.Concat(g.Output), v => Assert.Equal(F16, v.Type.TensorType.ElemType));
        // Same structure as the float32 twin, half the bytes, and the same outputs to float16 precision.
        Assert.Equal(twin.Model.Graph.Nodes.Select(n => n.OpType), result.Model.Graph.Nodes.Select(n => n.OpType));
        Assert.InRange(result.Model.ToBytes().Length, 0.4 * twin.Model.ToBytes().Length, 0.6 * twin.Model.ToBytes().Length);
        var expected = ChannelPruningTests.RunOnce(twin.Model);
        var actual = ChannelPruningTests.RunOnce(result.Model);
        Assert.Equal(expected.Dims, actual.Dims);
        Assert.True(Fidelity.CosineOf(expected.Values, actual.Values) > 0.999, $"cosine {Fidelity.CosineOf(expected.Values, actual.Values)}");
    }

    [Fact]
    public void Converting_to_float32_and_back_without_a_pass_gives_the_same_bytes()
    {
        var float16 = Float16Copy(TestModels.SmallCnn());
        var (float32, record) = Float16Precision.ToFloat32(float16);

        Assert.False(Float16Precision.Applies(float32));
        Assert.Equal(float16.ToBytes(), Float16Precision.ToFloat16(float32, record).ToBytes());
    }
}
