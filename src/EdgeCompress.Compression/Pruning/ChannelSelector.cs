namespace EdgeCompress.Compression.Pruning;

/// <summary>
/// Chooses which channels of each group survive from their scores: the same ratio in every group (uniform), or one
/// ranking over all groups (global, scores normalised by each group's mean so layers of different scale compete
/// fairly). Kept counts are rounded to multiples of the device's preferred width and never reach zero.
/// </summary>
internal static class ChannelSelector
{
    /// <summary>Most of a group global ranking may remove: keeps a layer from collapsing to nothing.</summary>
    private const double MaxGroupRatio = 0.9;

    /// <summary>
    /// Kept channel indices (ascending) per group root; groups left whole are omitted. <paramref name="ratioOf"/>
    /// gives a group's own ratio under uniform ranking (null: <paramref name="ratio"/> everywhere); <paramref name="unitOf"/>
    /// gives the columns per channel (attention heads: the head size), so rounding applies to columns.
    /// </summary>
    public static Dictionary<int, int[]> Select(IReadOnlyDictionary<int, double[]> scores, double ratio, bool global, int roundTo, Func<int, double>? ratioOf = null, Func<int, int>? unitOf = null)
    {
        var keepCounts = global ? GlobalCounts(scores, ratio)
            : scores.ToDictionary(kv => kv.Key, kv => kv.Value.Length - (int)Math.Round((ratioOf?.Invoke(kv.Key) ?? ratio) * kv.Value.Length));
        var result = new Dictionary<int, int[]>();
        foreach (var (root, s) in scores)
        {
            var unit = unitOf?.Invoke(root) ?? 1;
            var keep = Round(keepCounts[root], s.Length, roundTo / (int)System.Numerics.BigInteger.GreatestCommonDivisor(roundTo, unit));
            if (keep >= s.Length)
            {
                continue;
            }
            // Highest scores survive; ties go to the lower index so results are reproducible.
            result[root] = Enumerable.Range(0, s.Length).OrderByDescending(i => s[i]).ThenBy(i => i).Take(keep).Order().ToArray();
        }
        return result;
    }

    private static int Round(int keep, int count, int roundTo)
    {
        keep = Math.Clamp(keep, 1, count);
        if (roundTo <= 1)
        {
            return keep;
        }
        var rounded = (int)Math.Round(keep / (double)roundTo, MidpointRounding.AwayFromZero) * roundTo;
        return Math.Min(count, Math.Max(roundTo, rounded));
    }

    private static Dictionary<int, int> GlobalCounts(IReadOnlyDictionary<int, double[]> scores, double ratio)
    {
        var all = new List<(double Score, int Root)>();
        foreach (var (root, s) in scores)
        {
            var mean = s.Average();
            foreach (var v in s)
            {
                all.Add((mean > 0 ? v / mean : 1, root));
            }
        }
        var toRemove = (int)Math.Round(ratio * all.Count);
        var removed = scores.Keys.ToDictionary(r => r, _ => 0);
        foreach (var (_, root) in all.OrderBy(a => a.Score))
        {
            if (toRemove == 0)
            {
                break;
            }
            if (removed[root] + 1 <= (int)(MaxGroupRatio * scores[root].Length))
            {
                removed[root]++;
                toRemove--;
            }
        }
        return scores.ToDictionary(kv => kv.Key, kv => kv.Value.Length - removed[kv.Key]);
    }
}
