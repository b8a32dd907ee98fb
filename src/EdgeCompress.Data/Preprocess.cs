using System.Globalization;

namespace EdgeCompress.Data;

/// <summary>How an image is fitted to the model's height and width.</summary>
public enum ResizeMode
{
    /// <summary>Scale each axis to the target size; the aspect ratio may change.</summary>
    Stretch,

    /// <summary>Scale so the image covers the target (the shorter side fits), then cut the centre out.</summary>
    ShorterSideThenCenterCrop,

    /// <summary>Scale so the whole image fits, keep the aspect ratio, pad around it (centred by default).</summary>
    Letterbox,

    /// <summary>Scale so the whole image fits, keep the aspect ratio, pad the bottom and right (by default).</summary>
    KeepAspectPad,
}

/// <summary>Where a padded image sits in the target.</summary>
public enum PadAlign
{
    /// <summary>Image at the top left; padding at the bottom and right.</summary>
    TopLeft,

    /// <summary>Image centred; padding split between both sides.</summary>
    Center,
}

/// <summary>Channel order of the tensor.</summary>
public enum ColorOrder
{
    /// <summary>Red, green, blue.</summary>
    Rgb,

    /// <summary>Blue, green, red (OpenCV-trained models).</summary>
    Bgr,

    /// <summary>One luma channel (ITU-R 601 weights for colour sources).</summary>
    Gray,
}

/// <summary>Where the channel axis is.</summary>
public enum TensorLayout
{
    /// <summary>[N, C, H, W].</summary>
    Nchw,

    /// <summary>[N, H, W, C].</summary>
    Nhwc,
}

/// <summary>Element type of the image tensor (named as in preprocess files and NumPy).</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "The names are the dtype names users write in preprocess.json.")]
public enum PixelType
{
    /// <summary>32-bit floats.</summary>
    Float32,

    /// <summary>16-bit floats (values rounded to half precision).</summary>
    Float16,

    /// <summary>Raw bytes 0..255; scale, mean and std do not apply.</summary>
    Uint8,
}

/// <summary>Target height and width of the image tensor, in pixels.</summary>
/// <param name="Height">Rows.</param>
/// <param name="Width">Columns.</param>
public readonly record struct ImageSize(int Height, int Width)
{
    /// <summary>"HxW".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Height}x{Width}");
}

/// <summary>
/// How images become the model's input tensor: geometry (size, resize, padding), colour, value mapping
/// ((pixel * scale - mean) / std per channel), layout and element type. Loaded from a preprocess.json (every field
/// optional; a missing one comes from the model input, see <see cref="ResolveFor"/>), stored in model metadata under
/// <see cref="MetadataKey"/> as <see cref="ToJson"/>.
/// </summary>
public sealed partial record Preprocess
{
    /// <summary>The ONNX metadata key the CLI stores the preprocessing a model was compressed with under.</summary>
    public const string MetadataKey = "edgec.preprocess";

    /// <summary>The default scale, 1/255: bytes to [0, 1].</summary>
    public const double DefaultScale = 1.0 / 255;

    /// <summary>Target size; null takes the model input's fixed height and width.</summary>
    public ImageSize? Size { get; init; }

    /// <summary>Geometry; null means stretch.</summary>
    public ResizeMode? Resize { get; init; }

    /// <summary>Where a padded image sits; null means centre for letterbox, top-left for keep-aspect-pad.</summary>
    public PadAlign? Align { get; init; }

    /// <summary>Pixel value (0..255) of the padding; null means 114 for letterbox, 0 otherwise.</summary>
    public int? PadValue { get; init; }

    /// <summary>Multiplier applied to pixel bytes first; null means 1/255.</summary>
    public double? Scale { get; init; }

    /// <summary>Per-channel mean subtracted after scaling; null subtracts nothing.</summary>
    public IReadOnlyList<double>? Mean { get; init; }

    /// <summary>Per-channel divisor applied after the mean; null divides by nothing.</summary>
    public IReadOnlyList<double>? Std { get; init; }

    /// <summary>Channel order; null means gray for a one-channel input, rgb otherwise.</summary>
    public ColorOrder? Color { get; init; }

    /// <summary>Tensor layout; null takes it from where the model input has 1 or 3 channels.</summary>
    public TensorLayout? Layout { get; init; }

    /// <summary>Element type; null takes the model input's.</summary>
    public PixelType? DType { get; init; }

    /// <summary>Where this came from ("FILE", "model input 'x'", ...), for messages; not serialised.</summary>
    public string Source { get; init; } = "preprocess";

    /// <summary>Channels the colour order gives (1 or 3), or null when the colour is not set.</summary>
    public int? Channels => Color switch { ColorOrder.Gray => 1, null => null, _ => 3 };

    /// <summary>
    /// A one-line account of the preprocessing, e.g. "224x224 shorter-side-then-center-crop, rgb, scale 0.00392,
    /// mean [0.485,0.456,0.406], std [0.229,0.224,0.225], nchw float32". Fields not set (before
    /// <see cref="ResolveFor"/>) show as "?".
    /// </summary>
    public string Describe()
    {
        var inv = CultureInfo.InvariantCulture;
        var parts = new List<string>
        {
            $"{Size?.ToString() ?? "?x?"} {Names.Of(Resize ?? ResizeMode.Stretch)}"
                + (Resize is ResizeMode.Letterbox or ResizeMode.KeepAspectPad
                    ? string.Create(inv, $" ({Names.Of(EffectiveAlign)}, pad {EffectivePadValue})") : ""),
            Color is { } c ? Names.Of(c) : "?",
        };
        if (DType == PixelType.Uint8)
        {
            parts.Add("raw bytes");
        }
        else
        {
            parts.Add(string.Create(inv, $"scale {Scale ?? DefaultScale:G3}"));
            if (Mean is { } m)
            {
                parts.Add($"mean [{string.Join(",", m.Select(v => v.ToString("G4", inv)))}]");
            }
            if (Std is { } s)
            {
                parts.Add($"std [{string.Join(",", s.Select(v => v.ToString("G4", inv)))}]");
            }
        }
        parts.Add($"{(Layout is { } l ? Names.Of(l) : "?")} {(DType is { } d ? Names.Of(d) : "?")}");
        return string.Join(", ", parts);
    }

    /// <summary>The alignment in effect (the default of the resize mode when not set).</summary>
    public PadAlign EffectiveAlign => Align ?? (Resize == ResizeMode.KeepAspectPad ? PadAlign.TopLeft : PadAlign.Center);

    /// <summary>The padding value in effect (114 for letterbox, 0 otherwise, when not set).</summary>
    public int EffectivePadValue => PadValue ?? (Resize == ResizeMode.Letterbox ? 114 : 0);
}
