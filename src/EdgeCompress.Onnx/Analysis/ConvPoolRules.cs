using DT = EdgeCompress.Onnx.Protos.TensorProto.Types.DataType;

namespace EdgeCompress.Onnx;

/// <summary>Shape rules for convolutions and pooling: kernel, strides, dilations, explicit pads or auto_pad
/// (SAME_UPPER, SAME_LOWER, VALID), groups, ceil_mode, and ConvTranspose's output_padding/output_shape.</summary>
internal static class ConvPoolRules
{
    public static void Register(Dictionary<string, Action<NodeContext>> rules)
    {
        rules["Conv"] = c => Conv(c, xIndex: 0, wIndex: 1, c.Type(0));
        rules["ConvInteger"] = c => Conv(c, xIndex: 0, wIndex: 1, DT.Int32);
        rules["QLinearConv"] = c => Conv(c, xIndex: 0, wIndex: 3, c.Type(7));
        rules["ConvTranspose"] = ConvTranspose;
        rules["MaxPool"] = c =>
        {
            Pool(c);
            c.Out(1, DT.Int64, c.Dims(0) is null ? null : PoolDims(c));
        };
        rules["AveragePool"] = Pool;
        rules["LpPool"] = Pool;
        rules["GlobalAveragePool"] = GlobalPool;
        rules["GlobalMaxPool"] = GlobalPool;
        rules["GlobalLpPool"] = GlobalPool;
    }

    private static void Conv(NodeContext c, int xIndex, int wIndex, DT type)
    {
        var x = c.Dims(xIndex);
        var w = c.Dims(wIndex);
        if (x is null || x.Count < 3)
        {
            c.Out(0, type, null);
            return;
        }
        var kernel = c.Ints("kernel_shape")?.Select(Dim.Of).ToArray() ?? w?.Skip(2).ToArray();
        var dims = new Dim[x.Count];
        dims[0] = x[0];
        dims[1] = w is { Count: > 0 } ? w[0] : Dim.Unknown;
        FillSpatial(c, x, kernel, dims, ceilMode: false);
        c.Out(0, type, dims);
    }

    private static void ConvTranspose(NodeContext c)
    {
        var x = c.Dims(0);
        var w = c.Dims(1);
        if (x is null || x.Count < 3)
        {
            c.Out(0, c.Type(0), null);
            return;
        }
        var n = x.Count - 2;
        var group = c.Int("group", 1);
        var dims = new Dim[x.Count];
        dims[0] = x[0];
        dims[1] = w is { Count: > 1 } ? w[1] * Dim.Of(group) : Dim.Unknown;
        var kernel = c.Ints("kernel_shape") ?? (w is { } ww && ww.Skip(2).All(d => d.IsKnown) ? ww.Skip(2).Select(d => d.Value).ToArray() : null);
        var strides = c.Ints("strides") ?? Enumerable.Repeat(1L, n).ToArray();
        var dilations = c.Ints("dilations") ?? Enumerable.Repeat(1L, n).ToArray();
        var outPad = c.Ints("output_padding") ?? new long[n];
        var pads = c.Ints("pads") ?? new long[2 * n];
        var autoPad = c.Node.GetString("auto_pad", "NOTSET");
        var outputShape = c.Ints("output_shape");
        for (var i = 0; i < n; i++)
        {
            var input = x[i + 2];
            if (outputShape is not null)
            {
                dims[i + 2] = outputShape[outputShape.Length - n + i];
            }
            else if (!input.IsKnown || kernel is null)
            {
                dims[i + 2] = Dim.Unknown;
            }
            else if (autoPad is "SAME_UPPER" or "SAME_LOWER")
            {
                dims[i + 2] = SafeMath.Multiply(input.Value, strides[i]);
            }
            else
            {
                var extent = ((kernel[i] - 1) * dilations[i]) + 1;
                var total = autoPad == "VALID" ? 0 : pads[i] + pads[i + n];
                dims[i + 2] = (strides[i] * (input.Value - 1)) + outPad[i] + extent - total;
            }
        }
        c.Out(0, c.Type(0), dims);
    }

    private static void Pool(NodeContext c)
    {
        c.Out(0, c.Type(0), c.Dims(0) is null ? null : PoolDims(c));
    }

    private static Dim[] PoolDims(NodeContext c)
    {
        var x = c.Dims(0)!;
        var kernel = c.Ints("kernel_shape")?.Select(Dim.Of).ToArray()
            ?? throw new InvalidOperationException("pooling node has no kernel_shape");
        var dims = new Dim[x.Count];
        dims[0] = x[0];
        dims[1] = x[1];
        FillSpatial(c, x, kernel, dims, ceilMode: c.Int("ceil_mode", 0) != 0);
        return dims;
    }

    private static void GlobalPool(NodeContext c)
    {
        var x = c.Dims(0);
        c.Out(0, c.Type(0), x?.Select((d, i) => i < 2 ? d : Dim.Of(1)).ToArray());
    }

    /// <summary>Output spatial dims per the ONNX Conv/Pool specification.</summary>
    private static void FillSpatial(NodeContext c, IReadOnlyList<Dim> x, Dim[]? kernel, Dim[] dims, bool ceilMode)
    {
        var n = x.Count - 2;
        var strides = c.Ints("strides") ?? Enumerable.Repeat(1L, n).ToArray();
        var dilations = c.Ints("dilations") ?? Enumerable.Repeat(1L, n).ToArray();
        var pads = c.Ints("pads") ?? new long[2 * n];
        var autoPad = c.Node.GetString("auto_pad", "NOTSET");
        for (var i = 0; i < n; i++)
        {
            var input = x[i + 2];
            if (!input.IsKnown || kernel is null || i >= kernel.Length || !kernel[i].IsKnown)
            {
                dims[i + 2] = Dim.Unknown;
                continue;
            }
            var stride = strides[i];
            var extent = ((kernel[i].Value - 1) * dilations[i]) + 1;
            long size;
            if (autoPad is "SAME_UPPER" or "SAME_LOWER")
            {
                size = CeilDiv(input.Value, stride);
            }
            else if (autoPad == "VALID")
            {
                size = CeilDiv(input.Value - extent + 1, stride);
            }
            else
            {
                var span = input.Value + pads[i] + pads[i + n] - extent;
                size = (ceilMode ? CeilDiv(span, stride) : FloorDiv(span, stride)) + 1;
                // With ceil_mode the last window must start inside the input or its leading padding.
                if (ceilMode && (size - 1) * stride >= input.Value + pads[i])
                {
                    size--;
                }
            }
            dims[i + 2] = Math.Max(size, 0);
        }
    }

    private static long CeilDiv(long a, long b) => -FloorDiv(-a, b);

    private static long FloorDiv(long a, long b) => (a / b) - (((a % b != 0) && ((a < 0) ^ (b < 0))) ? 1 : 0);
}
