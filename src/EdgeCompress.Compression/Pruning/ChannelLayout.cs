namespace EdgeCompress.Compression.Pruning;

/// <summary>A run of channels from one channel space inside a tensor axis; each channel spans
/// <paramref name="Repeat"/> consecutive positions (1 normally, H*W after Flatten).</summary>
internal sealed record Segment(int Space, int Count, long Repeat)
{
    public long Length => Count * Repeat;
}

/// <summary>
/// Which channel spaces make up one axis of a value: a Conv output is one segment; a Concat along channels is
/// the segments of its inputs in order; Flatten stretches each channel into a block of spatial positions.
/// </summary>
internal sealed record ChannelLayout(int Axis, IReadOnlyList<Segment> Segments)
{
    public long Length => Segments.Sum(s => s.Length);

    public static ChannelLayout Single(int axis, int space, int count) => new(axis, [new Segment(space, count, 1)]);

    public ChannelLayout WithAxis(int axis) => new(axis, Segments);

    /// <summary>The positions along the axis that survive, given the kept channels of each space
    /// (a space missing from <paramref name="keep"/> keeps everything).</summary>
    public long[] KeptPositions(IReadOnlyDictionary<int, int[]> keep, Func<int, int> root)
    {
        var result = new List<long>();
        long offset = 0;
        foreach (var s in Segments)
        {
            if (keep.TryGetValue(root(s.Space), out var kept))
            {
                foreach (var c in kept)
                {
                    for (long r = 0; r < s.Repeat; r++)
                    {
                        result.Add(offset + (c * s.Repeat) + r);
                    }
                }
            }
            else
            {
                for (long p = 0; p < s.Length; p++)
                {
                    result.Add(offset + p);
                }
            }
            offset += s.Length;
        }
        return result.ToArray();
    }

    /// <summary>The segments covering positions [start, end), or null when a boundary falls inside a segment.</summary>
    public IReadOnlyList<Segment>? Range(long start, long end)
    {
        var result = new List<Segment>();
        long offset = 0;
        foreach (var s in Segments)
        {
            var sEnd = offset + s.Length;
            if (sEnd > start && offset < end)
            {
                if (offset < start || sEnd > end)
                {
                    return null;
                }
                result.Add(s);
            }
            offset = sEnd;
        }
        return result;
    }
}
