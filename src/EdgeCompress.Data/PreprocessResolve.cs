using System.Globalization;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Data;

public sealed partial record Preprocess
{
    /// <summary>
    /// The preprocessing a model input gets when no preprocess file is given: layout from where the 1 or 3 channels
    /// are (dim 1, else dim 3), size from the fixed height and width, gray for one channel else rgb, stretch,
    /// scale 1/255, no mean or std, the input's element type. Throws <see cref="DataException"/> naming the input
    /// when it is not a 4-D image input or its height or width is dynamic.
    /// </summary>
    public static Preprocess DefaultFor(InputSpec input) =>
        new Preprocess { Source = $"defaults for model input '{input?.Name}'" }.ResolveFor(input!);

    /// <summary>
    /// Fills every field not set from the model input (see <see cref="DefaultFor"/>) and checks the rest against it:
    /// channels of the colour against the input's channel axis, size against a fixed height and width, element type.
    /// Throws <see cref="DataException"/> naming both <see cref="Source"/> and the model input on a mismatch.
    /// </summary>
    public Preprocess ResolveFor(InputSpec input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var dims = input.Dims;
        var shape = $"model input '{input.Name}' {DataTypes.Name(input.ElementType)} [{string.Join("x", dims.Select(Dim))}]";
        if (dims.Length != 4)
        {
            throw new DataException($"{Source}: images feed 4-D inputs (NCHW or NHWC), but {shape} has {dims.Length} dimensions");
        }
        var layout = Layout ?? (dims[1] is 1 or 3 ? TensorLayout.Nchw : dims[3] is 1 or 3 ? TensorLayout.Nhwc
            : throw new DataException($"{Source}: {shape} has no channel axis of 1 or 3 (dim 1 or dim 3); give \"layout\" and \"color\" in a preprocess file"));
        var (c, h, w) = layout == TensorLayout.Nchw ? (dims[1], dims[2], dims[3]) : (dims[3], dims[1], dims[2]);
        var axis = layout == TensorLayout.Nchw ? 1 : 3;
        var color = Color ?? (c == 1 ? ColorOrder.Gray : ColorOrder.Rgb);
        var channels = color == ColorOrder.Gray ? 1 : 3;
        if (c > 0 && c != channels)
        {
            throw new DataException(
                $"{Source}: color {Names.Of(color)} gives {channels} channel(s) but {shape} has {c} on its {Names.Of(layout)} channel axis (dim {axis})");
        }
        ImageSize size;
        if (Size is { } s)
        {
            if ((h > 0 && h != s.Height) || (w > 0 && w != s.Width))
            {
                throw new DataException($"{Source}: size {s} does not match {shape}, whose fixed height x width is {Dim(h)}x{Dim(w)} ({Names.Of(layout)})");
            }
            size = s;
        }
        else if (h > 0 && w > 0)
        {
            size = new ImageSize(checked((int)h), checked((int)w));
        }
        else
        {
            throw new DataException($"{Source}: {shape} has a dynamic height or width; give \"size\": [H, W] in a preprocess file (--preprocess FILE.json or preprocess.json in the data folder)");
        }
        var natural = input.ElementType switch
        {
            TensorProto.Types.DataType.Float => PixelType.Float32,
            TensorProto.Types.DataType.Float16 => PixelType.Float16,
            TensorProto.Types.DataType.Uint8 => PixelType.Uint8,
            _ => (PixelType?)null,
        };
        var dtype = DType ?? natural
            ?? throw new DataException($"{Source}: images give float32, float16 or uint8 tensors, but {shape} wants {DataTypes.Name(input.ElementType)}");
        if (dtype != natural)
        {
            throw new DataException($"{Source}: dtype {Names.Of(dtype)} does not match {shape}");
        }
        if (dtype == PixelType.Uint8 && (Scale is not null ? "scale" : Mean is not null ? "mean" : Std is not null ? "std" : null) is { } ignored)
        {
            throw new DataException($"{Source}: field '{ignored}' does not apply to dtype uint8 (raw bytes), which {shape} takes");
        }
        CheckChannels(Mean, "mean", channels, color);
        CheckChannels(Std, "std", channels, color);
        return this with
        {
            Size = size,
            Resize = Resize ?? ResizeMode.Stretch,
            Align = EffectiveAlign,
            PadValue = EffectivePadValue,
            Scale = dtype == PixelType.Uint8 ? null : Scale ?? DefaultScale,
            Color = color,
            Layout = layout,
            DType = dtype,
        };
    }

    private void CheckChannels(IReadOnlyList<double>? values, string field, int channels, ColorOrder color)
    {
        if (values is not null && values.Count != channels)
        {
            throw new DataException($"{Source}: field '{field}' has {values.Count} values but color {Names.Of(color)} has {channels} channel(s)");
        }
    }

    private static string Dim(long d) => d > 0 ? d.ToString(CultureInfo.InvariantCulture) : "?";
}
