using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Pruning;

/// <summary>
/// Scores each channel of each prunable group from weights: the norm of the producer weights' output slices
/// (summed over every layer the group ties together), or |gamma| of the BatchNormalization layers on the group.
/// </summary>
internal static class ChannelImportance
{
    public static Dictionary<int, double[]> FromWeights(DependencyGraph g, IReadOnlyCollection<int> roots, ChannelImportanceKind kind, List<string> warnings)
    {
        var scores = roots.ToDictionary(r => r, r => new double[g.Spaces.CountOf(r)]);
        var role = kind == ChannelImportanceKind.BnScale ? SiteRole.BatchNormScale : SiteRole.ProducerWeight;
        var covered = new HashSet<int>();
        Accumulate(g, scores, role, kind == ChannelImportanceKind.L2, covered);
        if (kind == ChannelImportanceKind.BnScale)
        {
            var missing = roots.Where(r => !covered.Contains(r)).ToList();
            foreach (var r in missing)
            {
                warnings.Add($"no BatchNormalization follows {GroupLabel(g, r)}; ranked its channels by L1 weight norm instead");
            }
            var fallback = missing.ToDictionary(r => r, r => scores[r]);
            Accumulate(g, fallback, SiteRole.ProducerWeight, squared: false, []);
        }
        return scores;
    }

    private static void Accumulate(DependencyGraph g, Dictionary<int, double[]> scores, SiteRole role, bool squared, HashSet<int> covered)
    {
        foreach (var site in g.Sites.OfType<ParamSlice>().Where(s => s.Role == role))
        {
            if (!site.Layout.Segments.Any(s => scores.ContainsKey(g.Spaces.Find(s.Space))))
            {
                continue;
            }
            var perPosition = Norms(g.Store, site.Tensor, site.TensorAxis, squared);
            long offset = 0;
            foreach (var seg in site.Layout.Segments)
            {
                var root = g.Spaces.Find(seg.Space);
                if (scores.TryGetValue(root, out var target))
                {
                    covered.Add(root);
                    for (var c = 0; c < seg.Count; c++)
                    {
                        for (long r = 0; r < seg.Repeat; r++)
                        {
                            target[c] += perPosition[offset + (c * seg.Repeat) + r];
                        }
                    }
                }
                offset += seg.Length;
            }
        }
        if (squared)
        {
            foreach (var v in scores.Values)
            {
                for (var i = 0; i < v.Length; i++)
                {
                    v[i] = Math.Sqrt(v[i]);
                }
            }
        }
    }

    /// <summary>Sum of |w| (or w^2) of each slice along an axis.</summary>
    private static double[] Norms(ParamStore store, string tensor, int axis, bool squared)
    {
        var t = store.Find(tensor)!;
        var values = TensorData.ToFloats(t);
        var dims = t.Dims.ToArray();
        var size = dims[axis];
        var inner = dims.Skip(axis + 1).Aggregate(1L, (a, b) => a * b);
        var result = new double[size];
        for (long i = 0; i < values.LongLength; i++)
        {
            var c = i / inner % size;
            var v = values[i];
            result[c] += squared ? (double)v * v : Math.Abs(v);
        }
        return result;
    }

    /// <summary>How messages name a group: its producing layers.</summary>
    public static string GroupLabel(DependencyGraph g, int root)
    {
        var producers = g.Spaces.Producers(root);
        return producers.Count == 0 ? $"channel group {root}" : string.Join(" + ", producers.Select(OnnxGraph.NodeLabel));
    }
}
