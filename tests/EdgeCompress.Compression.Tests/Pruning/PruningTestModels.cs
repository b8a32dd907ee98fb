using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Tests.Pruning;

/// <summary>The architectures pruning must handle, built in code: residual, inverted residual with depthwise and
/// squeeze-excite, Concat/Split heavy, Flatten into Gemm. With <c>withBn: false</c> and <c>zero</c> channels the
/// first output channels of every Conv are dead, so removing exactly those must not change the outputs.</summary>
internal static class PruningTestModels
{
    /// <summary>Stem, two identity blocks, a strided block with a 1x1 shortcut: input [N,3,32,32] -> logits [N,10].</summary>
    public static OnnxModel ResNet(bool constantNodes = false, bool withBn = true, double zero = 0)
    {
        var b = new NetBuilder("input", [-1, 3, 32, 32], 5, constantNodes);
        string Norm(string x, int c) => withBn ? b.Bn(x, c) : x;
        var x = b.Relu(Norm(b.Conv("input", 3, 16, zeroFirst: zero, name: "stem"), 16));
        for (var i = 0; i < 2; i++)
        {
            var y = b.Relu(Norm(b.Conv(x, 16, 16, zeroFirst: zero, name: $"block{i}a"), 16));
            y = Norm(b.Conv(y, 16, 16, zeroFirst: zero, name: $"block{i}b"), 16);
            x = b.Relu(b.Add(x, y));
        }
        var main = b.Relu(Norm(b.Conv(x, 16, 32, stride: 2, zeroFirst: zero, name: "down_a"), 32));
        main = Norm(b.Conv(main, 32, 32, zeroFirst: zero, name: "down_b"), 32);
        var shortcut = Norm(b.Conv(x, 16, 32, k: 1, stride: 2, zeroFirst: zero, name: "shortcut"), 32);
        x = b.Relu(b.Add(main, shortcut));
        b.Head(x, 32);
        return b.Build("logits", -1, 10);
    }

    /// <summary>MobileNetV3-style: stem with HardSwish, inverted residuals (expand 1x1, depthwise 3x3, squeeze-excite
    /// GAP->conv->Relu->conv->HardSigmoid->Mul, project 1x1) with and without the skip.</summary>
    public static OnnxModel MobileNet(bool constantNodes = false)
    {
        var b = new NetBuilder("input", [-1, 3, 32, 32], 9, constantNodes);
        var x = b.Op("HardSwish", [b.Bn(b.Conv("input", 3, 16, stride: 2, name: "stem"), 16)]);
        x = InvertedResidual(b, x, 16, 64, 16, stride: 1);
        x = InvertedResidual(b, x, 16, 64, 24, stride: 2);
        x = InvertedResidual(b, x, 24, 96, 24, stride: 1);
        x = b.Op("HardSwish", [b.Bn(b.Conv(x, 24, 96, k: 1), 96)]);
        b.Head(x, 96);
        return b.Build("logits", -1, 10);
    }

    private static string InvertedResidual(NetBuilder b, string x, int cin, int expand, int cout, int stride)
    {
        var y = b.Relu6(b.Bn(b.Conv(x, cin, expand, k: 1), expand));
        y = b.Relu6(b.Bn(b.Conv(y, expand, expand, stride: stride, group: expand), expand));
        var squeeze = b.Relu(b.Conv(b.Gap(y), expand, expand / 4, k: 1));
        var gate = b.Op("HardSigmoid", [b.Conv(squeeze, expand / 4, expand, k: 1)], n => { n.SetFloat("alpha", 1f / 6); n.SetFloat("beta", 0.5f); });
        y = b.Op("Mul", [y, gate]);
        y = b.Bn(b.Conv(y, expand, cout, k: 1), cout);
        return stride == 1 && cin == cout ? b.Add(x, y) : y;
    }

    /// <summary>Inception and dense blocks: branches joined by Concat, a BN over the concatenation, a Split
    /// that follows the branch boundaries and one that cuts through a layer's channels.</summary>
    public static OnnxModel ConcatNet(bool constantNodes = false, bool withBn = true, double zero = 0)
    {
        var b = new NetBuilder("input", [-1, 3, 32, 32], 13, constantNodes);
        var x = b.Relu(b.Conv("input", 3, 16, zeroFirst: zero, name: "stem"));
        var b1 = b.Conv(x, 16, 8, k: 1, zeroFirst: zero);
        var b2 = b.Conv(b.Relu(b.Conv(x, 16, 8, k: 1, zeroFirst: zero)), 8, 12, zeroFirst: zero);
        var pooled = b.Op("MaxPool", [x], n => { n.SetInts("kernel_shape", [3, 3]); n.SetInts("pads", [1, 1, 1, 1]); });
        var b3 = b.Conv(pooled, 16, 8, k: 1, zeroFirst: zero);
        var cat = b.Concat(b1, b2, b3);
        x = b.Relu(withBn ? b.Bn(cat, 28) : cat);
        var dense = b.Relu(b.Conv(x, 28, 12, zeroFirst: zero));
        x = b.Concat(x, dense);
        var parts = b.Op("Split", [x, SplitSizes(b, 28, 12)], n => n.SetInt("axis", 1));
        var left = parts;
        var right = parts.Replace("_out", "_out2", StringComparison.Ordinal);
        var split = LastNode(b);
        split.Output.Add(right);
        x = b.Concat(b.Relu(left), withBn ? b.Op("Sigmoid", [right]) : b.Relu(right));
        var wide = b.Conv(x, 40, 32, k: 1, zeroFirst: zero, name: "wide");
        var halves = b.Op("Split", [wide, SplitSizes(b, 16, 16)], n => n.SetInt("axis", 1));
        var second = halves.Replace("_out", "_out2", StringComparison.Ordinal);
        LastNode(b).Output.Add(second);
        x = b.Add(halves, second);
        b.Head(x, 16);
        return b.Build("logits", -1, 10);
    }

    private static string SplitSizes(NetBuilder b, params long[] sizes) => b.Int64s(sizes);

    private static Onnx.Protos.NodeProto LastNode(NetBuilder b) => b.LastNode;

    /// <summary>Conv-Relu-MaxPool, Conv-Relu, Flatten straight into Gemm (channel x spatial blocks).</summary>
    public static OnnxModel FlattenNet(bool withBn = true, double zero = 0, bool reshape = false, bool computedShape = false)
    {
        var b = new NetBuilder("input", [-1, 1, 28, 28], 17);
        var x = b.Relu(b.Conv("input", 1, 8, zeroFirst: zero, name: "c1"));
        if (withBn)
        {
            x = b.Bn(x, 8);
        }
        x = b.Op("MaxPool", [x], n => { n.SetInts("kernel_shape", [4, 4]); n.SetInts("strides", [4, 4]); });
        x = b.Relu(b.Conv(x, 8, 12, zeroFirst: zero, name: "c2"));
        if (computedShape)
        {
            // What torch exports for x.view(x.size(0), -1): Shape -> Gather -> Unsqueeze -> Concat with -1.
            var batch = b.Op("Gather", [b.Op("Shape", [x]), b.Int64s([0])], n => n.SetInt("axis", 0));
            x = b.Op("Reshape", [x, b.Concat0(batch, b.Int64s([-1]))]);
            b.Head(x, 12 * 7 * 7, pool: false, spatial: 1, flatten: false);
        }
        else if (reshape)
        {
            x = b.Op("Reshape", [x, b.Int64s([-1, 12 * 7 * 7])]);
            b.Head(x, 12 * 7 * 7, pool: false, spatial: 1, flatten: false);
        }
        else
        {
            b.Head(x, 12, pool: false, spatial: 49);
        }
        return b.Build("logits", -1, 10);
    }
}
