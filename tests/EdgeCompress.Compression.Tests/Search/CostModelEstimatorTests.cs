using EdgeCompress.Compression.Quantization;
using EdgeCompress.Compression.Search;
using EdgeCompress.Compression.Tests.Pruning;
using EdgeCompress.Profiles;

namespace EdgeCompress.Compression.Tests.Search;

/// <summary>The cost model prices work by the kernel that does it: depthwise convs and x86's int8-activation path are
/// slow per MAC (fitted on the zoo; `factor-bench costmodel` prints its error against host medians).</summary>
public class CostModelEstimatorTests
{
    private static readonly DeviceProfile X64 = ProfileStore.Default().Load("x64-host");

    [Fact]
    public void Depthwise_MACs_are_counted_apart_and_cost_more_each_than_dense_ones()
    {
        var mobile = CostModelEstimator.Breakdown(PruningTestModels.MobileNet());
        var resnet = CostModelEstimator.Breakdown(PruningTestModels.ResNet());
        Assert.True(mobile.DepthwiseFp32Macs > 0);
        Assert.Equal(0, resnet.DepthwiseFp32Macs);

        var dense = new CostBreakdown(1e9, 0, 0, 0, 0, 0, 0).EstimateMs(X64);
        var depthwise = new CostBreakdown(0, 1e9, 0, 0, 0, 0, 0).EstimateMs(X64);
        Assert.Equal(1e9 / (X64.CostModel.Fp32MegaMacsPerSecondPerCore * 1e6) * 1000, dense, 6);
        Assert.Equal(dense / CostBreakdown.DepthwiseFp32Efficiency, depthwise, 6);
    }

    [Fact]
    public void Int8_layers_fed_int8_activations_are_priced_at_x86s_slower_path_and_uint8_ones_at_the_fast_one()
    {
        var model = PruningTestModels.ResNet();
        var signed = QuantizationPipeline.Run(model, new QuantizationOptions { Activations = ActivationType.S8 }, Data.DataSpec.Parse("synthetic:4")).Quantized;
        var unsigned = QuantizationPipeline.Run(model, new QuantizationOptions { Activations = ActivationType.U8 }, Data.DataSpec.Parse("synthetic:4")).Quantized;

        var s8 = CostModelEstimator.Breakdown(signed);
        var u8 = CostModelEstimator.Breakdown(unsigned);
        Assert.True(s8.DenseInt8Macs > 0);
        Assert.Equal(s8.DenseInt8Macs + s8.DepthwiseInt8Macs, s8.SignedInt8Macs);
        Assert.Equal(0, u8.SignedInt8Macs);
        Assert.True(CostModelEstimator.EstimateMs(signed, X64) > 1.5 * CostModelEstimator.EstimateMs(unsigned, X64));
        Assert.True(CostModelEstimator.EstimateMs(unsigned, X64) < CostModelEstimator.EstimateMs(model, X64));
    }
}
