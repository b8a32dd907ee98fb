namespace EdgeCompress.Data;

/// <summary>
/// Fashion-MNIST from Debian's dataset-fashion-mnist package: 28x28 grey images, 10 classes, 60k train / 10k test.
/// Pixels are given as float in [0,1] (NCHW 1x1x28x28); models exported by EdgeCompress fold any further
/// normalisation into the graph.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where the Debian package puts the files; EDGEC_FASHION_MNIST overrides it.</summary>
    public static string Directory =>
        Environment.GetEnvironmentVariable("EDGEC_FASHION_MNIST") is { Length: > 0 } d ? d : "/usr/share/datasets/fashion-mnist";

    /// <summary>Class names in label order.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Class names as folder names ('/' and ' ' replaced by '_'), in label order: what
    /// `edgec data export` names the class folders and writes to labels.txt.</summary>
    public static IReadOnlyList<string> FolderNames { get; } =
        ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot"];

    /// <summary>Image side length.</summary>
    public const int Side = 28;

    /// <summary>Paths of the image and label files of a split ("train" or "test").</summary>
    public static (string Images, string Labels) Files(string split)
    {
        var prefix = split switch
        {
            "train" => "train",
            "test" or "t10k" => "t10k",
            _ => throw new DataException($"fashion-mnist:{split}: unknown split; use fashion-mnist:train or fashion-mnist:test"),
        };
        var images = Path.Combine(Directory, $"{prefix}-images-idx3-ubyte.gz");
        var labels = Path.Combine(Directory, $"{prefix}-labels-idx1-ubyte.gz");
        if (!File.Exists(images) || !File.Exists(labels))
        {
            throw new DataException(
                $"fashion-mnist:{split}: {images} not found; install Debian's dataset-fashion-mnist package (eng/bootstrap.sh does)");
        }
        return (images, labels);
    }

    /// <summary>Streams (pixels in [0,1], label) pairs of a split, optionally only the first <paramref name="limit"/>.</summary>
    public static IEnumerable<(float[] Pixels, int Label)> Read(string split, int? limit = null)
    {
        var (imagesPath, labelsPath) = Files(split);
        using var images = IdxFile.Open(imagesPath);
        using var labels = IdxFile.Open(labelsPath);
        if (images.Dims.Length != 3 || images.Dims[1] != Side || images.Dims[2] != Side || labels.Dims.Length != 1 || labels.Count != images.Count)
        {
            throw new DataException($"{imagesPath}: expected {Side}x{Side} images with one label each");
        }
        var count = Math.Min(images.Count, limit ?? int.MaxValue);
        var pixels = new byte[images.ItemSize];
        var label = new byte[1];
        for (var i = 0; i < count; i++)
        {
            images.ReadItem(pixels);
            labels.ReadItem(label);
            if (label[0] > 9)
            {
                throw new DataException($"{labelsPath}: label {label[0]} at item {i} is not a class 0..9");
            }
            var values = new float[pixels.Length];
            for (var p = 0; p < pixels.Length; p++)
            {
                values[p] = pixels[p] / 255f;
            }
            yield return (values, label[0]);
        }
    }

    /// <summary>Batches of [N,1,28,28] pixels with their labels, for a model whose one input takes them.</summary>
    internal static IEnumerable<Sample> Batches(string specText, string split, int? count, IReadOnlyList<InputSpec> inputs, int batchSize)
    {
        var input = inputs[0];
        if (inputs.Count != 1 || !FitsImage(input))
        {
            throw new DataException(
                $"data spec '{specText}': gives Nx1x28x28 float images, but model input '{input.Name}' is {EdgeCompress.Onnx.DataTypes.Name(input.ElementType)} [{string.Join("x", input.Dims.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]"
                + (inputs.Count != 1 ? $" and the model has {inputs.Count} inputs" : ""));
        }
        var batch = input.Dims[0] > 0 ? (int)input.Dims[0] : Math.Max(1, batchSize);
        var pixels = new List<float>(batch * 784);
        var labels = new List<int>(batch);
        foreach (var (p, label) in Read(split, count))
        {
            pixels.AddRange(p);
            labels.Add(label);
            if (labels.Count == batch)
            {
                yield return Make();
            }
        }
        if (labels.Count > 0 && input.Dims[0] <= 0)
        {
            yield return Make();
        }

        Sample Make()
        {
            var s = new Sample([new SampleTensor(input.Name, [labels.Count, 1, 28, 28], pixels.ToArray(), null, input.ElementType)], labels.ToArray());
            pixels.Clear();
            labels.Clear();
            return s;
        }
    }

    private static bool FitsImage(InputSpec input) =>
        input.ElementType is EdgeCompress.Onnx.Protos.TensorProto.Types.DataType.Float or EdgeCompress.Onnx.Protos.TensorProto.Types.DataType.Float16 && input.Dims.Length == 4
        && (input.Dims[1] is 1 or < 0) && (input.Dims[2] is 28 or < 0) && (input.Dims[3] is 28 or < 0);
}
