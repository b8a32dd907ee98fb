using System.Globalization;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Training.Worker.Graph;

/// <summary>
/// The built-in networks for 28x28 single-channel images (Fashion-MNIST): names users pass to --arch. A name may
/// carry a width multiplier after '@' (mobilenet-v2@0.5), which scales every layer's channel count.
/// </summary>
internal static class Architectures
{
    /// <summary>Fashion-MNIST pixel statistics over the training split (pixels in [0,1]).</summary>
    public const float FashionMnistMean = 0.2860f;

    /// <summary>Standard deviation to match <see cref="FashionMnistMean"/>.</summary>
    public const float FashionMnistStd = 0.3530f;

    public static IReadOnlyList<string> Names { get; } = ["vgg-s", "vgg-sp", "resnet-s", "mobilenet-v2"];

    /// <summary>Builds a freshly initialised network, or throws naming the accepted architectures.</summary>
    public static ModelProto Build(string spec, int seed, long classes = 10)
    {
        var (name, width) = Parse(spec);
        var b = new NetBuilder(seed, "input", 1, 28, 28);
        var x = b.Normalise("input", FashionMnistMean, FashionMnistStd);
        long C(long c) => Math.Max(4, (long)Math.Round(c * width / 4.0) * 4);
        string logits = name switch
        {
            "vgg-s" => Vgg(b, x, C, classes),
            "vgg-sp" => Vgg(b, x, C, classes, pooledHead: true),
            "resnet-s" => ResNet(b, x, C, classes),
            "mobilenet-v2" => MobileNetV2(b, x, C, classes),
            _ => throw new TrainingInputException($"unknown architecture '{name}'; use one of {string.Join(", ", Names)} (optionally NAME@WIDTH, e.g. mobilenet-v2@0.5)"),
        };
        return b.Build(logits, classes, new Dictionary<string, string>
        {
            ["edgec.arch"] = name,
            ["edgec.width"] = width.ToString(CultureInfo.InvariantCulture),
            ["edgec.seed"] = seed.ToString(CultureInfo.InvariantCulture),
            ["edgec.input.range"] = "[0,1]",
            ["edgec.normalisation"] = $"folded: (x - {FashionMnistMean.ToString(CultureInfo.InvariantCulture)}) / {FashionMnistStd.ToString(CultureInfo.InvariantCulture)}",
        });
    }

    public static (string Name, double Width) Parse(string spec)
    {
        var at = spec.IndexOf('@', StringComparison.Ordinal);
        if (at < 0)
        {
            return (spec, 1.0);
        }
        if (!double.TryParse(spec[(at + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var w) || w <= 0 || w > 4)
        {
            throw new TrainingInputException($"architecture '{spec}': width multiplier must be a number in (0, 4], e.g. mobilenet-v2@0.5");
        }
        return (spec[..at], w);
    }

    /// <summary>
    /// VGG-style, sized for 2 CPU cores: 3x3 conv + BN + ReLU at 28, 14 and 7 pixels with max-pooling between, and
    /// a linear classifier over the 7x7 map. Most compute sits at 14 and 7 pixels, where it buys the most accuracy.
    /// </summary>
    /// <remarks>
    /// vgg-sp ("pooled head") adds a 3x3/stride-2 max-pool before the classifier (7x7 -> 3x3): the classifier drops
    /// from 40% of the parameters to 11%, so channel pruning reaches the parameters too, where vgg-s keeps a
    /// 6272x10 matrix whose 10 outputs cannot be pruned.
    /// </remarks>
    private static string Vgg(NetBuilder b, string x, Func<long, long> c, long classes, bool pooledHead = false)
    {
        long c1 = c(32), c2 = c(64), c3 = c(128);
        x = b.ConvBn(x, 1, c1, 3);
        x = b.MaxPool(x, 2);
        x = b.ConvBn(x, c1, c2, 3);
        x = b.MaxPool(x, 2);
        x = b.ConvBn(x, c2, c3, 3);
        var side = 7L;
        if (pooledHead)
        {
            x = b.MaxPool(x, 3, 2);
            side = 3;
        }
        x = b.Flatten(x);
        x = b.Dropout(x, 0.3f);
        return b.Linear(x, c3 * side * side, classes, "logits");
    }

    /// <summary>ResNet-style: a stem and three stages of one basic block each (28, 14, 7 pixels).</summary>
    private static string ResNet(NetBuilder b, string x, Func<long, long> c, long classes)
    {
        long[] widths = [c(32), c(64), c(128)];
        x = b.ConvBn(x, 1, widths[0], 3);
        var cin = widths[0];
        for (var s = 0; s < widths.Length; s++)
        {
            var stride = s == 0 ? 1 : 2;
            var y = b.ConvBn(x, cin, widths[s], 3, stride);
            y = b.ConvBn(y, widths[s], widths[s], 3, 1, 1, act: null);
            var shortcut = stride == 1 && cin == widths[s] ? x : b.ConvBn(x, cin, widths[s], 1, stride, 1, act: null);
            x = b.Relu(b.Add(y, shortcut));
            cin = widths[s];
        }
        x = b.Flatten(b.GlobalAveragePool(x));
        return b.Linear(x, cin, classes, "logits");
    }

    /// <summary>MobileNetV2-style: inverted residual blocks (1x1 expand, 3x3 depthwise, 1x1 linear project).</summary>
    private static string MobileNetV2(NetBuilder b, string x, Func<long, long> c, long classes)
    {
        // (expansion, channels, repeats, first stride) for 28x28 inputs: 28 -> 14 -> 7.
        (int T, long C, int N, int S)[] stages = [(1, 16, 1, 1), (4, 24, 2, 2), (4, 32, 2, 1), (4, 64, 2, 2), (4, 96, 1, 1)];
        var cin = c(16);
        x = b.ConvBn(x, 1, cin, 3, 1, 1, "Relu6");
        foreach (var (t, ch, n, s) in stages)
        {
            var cout = c(ch);
            for (var i = 0; i < n; i++)
            {
                var stride = i == 0 ? s : 1;
                var hidden = cin * t;
                var y = t == 1 ? x : b.ConvBn(x, cin, hidden, 1, 1, 1, "Relu6");
                y = b.ConvBn(y, hidden, hidden, 3, stride, hidden, "Relu6");
                y = b.ConvBn(y, hidden, cout, 1, 1, 1, act: null);
                x = stride == 1 && cin == cout ? b.Add(y, x) : y;
                cin = cout;
            }
        }
        var last = c(256);
        x = b.ConvBn(x, cin, last, 1, 1, 1, "Relu6");
        x = b.Flatten(b.GlobalAveragePool(x));
        return b.Linear(x, last, classes, "logits");
    }
}
