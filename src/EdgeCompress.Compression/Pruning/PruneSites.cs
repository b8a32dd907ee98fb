using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Pruning;

/// <summary>What a sliced tensor is to its layer; importance scores read producer weights and BN scales,
/// Taylor scores probe the inputs of consumer layers.</summary>
internal enum SiteRole
{
    ProducerWeight,
    ProducerBias,
    BatchNormScale,
    BatchNormOther,
    ConsumerWeight,
    Elementwise,
}

/// <summary>One edit the removal of channels requires somewhere in the graph; sites are recorded while the
/// dependency graph is built and applied together once the kept channels are known.</summary>
internal abstract record PruneSite(NodeProto Node, ChannelLayout Layout)
{
    /// <summary>Applies the edit; <paramref name="keep"/> maps space roots to kept channel indices.</summary>
    public abstract void Apply(ParamStore store, IReadOnlyDictionary<int, int[]> keep, Func<int, int> root);

    protected bool Touched(IReadOnlyDictionary<int, int[]> keep, Func<int, int> root) =>
        Layout.Segments.Any(s => keep.ContainsKey(root(s.Space)));
}

/// <summary>Slice a constant along the axis that carries the channels.</summary>
internal sealed record ParamSlice(NodeProto Node, ChannelLayout Layout, string Tensor, int TensorAxis, SiteRole Role,
    string? InputValue = null) : PruneSite(Node, Layout)
{
    public override void Apply(ParamStore store, IReadOnlyDictionary<int, int[]> keep, Func<int, int> root)
    {
        if (Touched(keep, root))
        {
            store.Slice(Tensor, TensorAxis, Layout.KeptPositions(keep, root));
        }
    }
}

/// <summary>A depthwise Conv's group count follows its channels.</summary>
internal sealed record ConvGroupSite(NodeProto Node, ChannelLayout Layout) : PruneSite(Node, Layout)
{
    public override void Apply(ParamStore store, IReadOnlyDictionary<int, int[]> keep, Func<int, int> root) =>
        Node.SetInt("group", Layout.KeptPositions(keep, root).Length);
}

/// <summary>Split sizes along the channel axis follow the kept channels of each output.</summary>
internal sealed record SplitSizesSite(NodeProto Node, ChannelLayout Layout, IReadOnlyList<ChannelLayout> Outputs, bool AsInput)
    : PruneSite(Node, Layout)
{
    public override void Apply(ParamStore store, IReadOnlyDictionary<int, int[]> keep, Func<int, int> root)
    {
        var sizes = Outputs.Select(o => (long)o.KeptPositions(keep, root).Length).ToArray();
        if (AsInput)
        {
            store.SetInt64s(Node, 1, sizes);
            Node.RemoveAttribute("num_outputs"); // opset 18: sizes and num_outputs may not both be given
        }
        else
        {
            Node.SetInts("split", sizes);
        }
    }
}

/// <summary>A Reshape target that spells out the channel (or channel x spatial) size instead of -1.</summary>
internal sealed record ReshapeTargetSite(NodeProto Node, ChannelLayout Layout, int Index) : PruneSite(Node, Layout)
{
    public override void Apply(ParamStore store, IReadOnlyDictionary<int, int[]> keep, Func<int, int> root)
    {
        if (!Touched(keep, root))
        {
            return;
        }
        var shape = TensorData.ToInt64s(store.Find(Node.Input[1])!);
        shape[Index] = Layout.KeptPositions(keep, root).Length;
        store.SetInt64s(Node, 1, shape);
    }
}

/// <summary>Constant Slice bounds along the channel axis move to where the kept channels now lie.</summary>
internal sealed record SliceBoundsSite(NodeProto Node, ChannelLayout Layout, int Entry, long Start, long End, bool AsInputs)
    : PruneSite(Node, Layout)
{
    public override void Apply(ParamStore store, IReadOnlyDictionary<int, int[]> keep, Func<int, int> root)
    {
        if (!Touched(keep, root))
        {
            return;
        }
        var kept = Layout.KeptPositions(keep, root);
        long start = kept.Count(p => p < Start);
        long end = start + kept.Count(p => p >= Start && p < End);
        if (AsInputs)
        {
            Set(store, 1, start);
            Set(store, 2, end);
        }
        else
        {
            Node.SetInts("starts", With(Node.GetInts("starts")!, start));
            Node.SetInts("ends", With(Node.GetInts("ends")!, end));
        }
    }

    private void Set(ParamStore store, int input, long value) =>
        store.SetInt64s(Node, input, With(TensorData.ToInt64s(store.Find(Node.Input[input])!), value));

    private long[] With(long[] values, long value)
    {
        values[Entry] = value;
        return values;
    }
}
