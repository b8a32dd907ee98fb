namespace EdgeCompress.Data;

/// <summary>
/// Which entries of a folder a SPEC takes, and in what order; deterministic, so the same SPEC gives the same files
/// on every run and OS. Labelled entries: each class gets a share of N in proportion to its size (largest
/// remainders first, ties in a fixed seeded class order), taken evenly spread over the class's sorted files, and the
/// classes interleave (round robin in proportion), so any prefix of the stream, a calibration batch say, mixes the
/// classes. Unlabelled entries: N spread evenly over the sorted list (every k-th), not the first N.
/// </summary>
internal static class Selection
{
    /// <summary>The fixed seed of the class order; changing it changes which files every @N takes.</summary>
    private const ulong Seed = 0x5EED_0019;

    /// <summary>Selects <paramref name="count"/> entries (all when null or larger) from entries sorted ordinally.</summary>
    public static IReadOnlyList<DataEntry> Take(IReadOnlyList<DataEntry> sorted, int? count)
    {
        var n = Math.Min(count ?? sorted.Count, sorted.Count);
        if (sorted.Count == 0 || sorted.Any(e => e.Label is null))
        {
            return Spread(sorted, n);
        }
        var classes = sorted.GroupBy(e => e.Label!.Value).OrderBy(g => g.Key).Select(g => g.ToArray()).ToArray();
        var order = SeededOrder(classes.Length);
        var quota = Quotas(classes.Select(c => c.Length).ToArray(), n, order);
        var picked = new List<(double Key, int Rank, DataEntry Entry)>(n);
        for (var c = 0; c < classes.Length; c++)
        {
            var taken = Spread(classes[c], quota[c]);
            for (var i = 0; i < taken.Count; i++)
            {
                picked.Add(((i + 0.5) / quota[c], order[c], taken[i]));
            }
        }
        picked.Sort((a, b) => a.Key != b.Key ? a.Key.CompareTo(b.Key) : a.Rank.CompareTo(b.Rank));
        return picked.Select(p => p.Entry).ToArray();
    }

    /// <summary>n entries at positions floor((i + 0.5) * count / n): evenly spread, the whole list when n = count.</summary>
    public static IReadOnlyList<DataEntry> Spread(IReadOnlyList<DataEntry> sorted, int n)
    {
        if (n >= sorted.Count)
        {
            return sorted;
        }
        var taken = new DataEntry[n];
        for (var i = 0; i < n; i++)
        {
            taken[i] = sorted[(int)((i + 0.5) * sorted.Count / n)];
        }
        return taken;
    }

    /// <summary>Shares of n in proportion to the class sizes (largest remainder; ties by seeded rank).</summary>
    private static int[] Quotas(int[] sizes, int n, int[] rank)
    {
        var total = sizes.Sum(s => (long)s);
        var quota = sizes.Select(s => (int)(s * (long)n / total)).ToArray();
        var left = n - quota.Sum();
        var byRemainder = Enumerable.Range(0, sizes.Length)
            .Where(c => quota[c] < sizes[c])
            .OrderByDescending(c => (sizes[c] * (long)n) % total)
            .ThenBy(c => rank[c])
            .ToArray();
        for (var i = 0; i < left; i++)
        {
            quota[byRemainder[i]]++;
        }
        return quota;
    }

    /// <summary>A permutation of 0..count-1 from a fixed-seed SplitMix64 Fisher-Yates shuffle: rank[c] is class c's
    /// place. Own generator, so the order does not depend on System.Random's implementation.</summary>
    private static int[] SeededOrder(int count)
    {
        var perm = Enumerable.Range(0, count).ToArray();
        var state = Seed;
        for (var i = count - 1; i > 0; i--)
        {
            state += 0x9E3779B97F4A7C15;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            z ^= z >> 31;
            var j = (int)(z % (ulong)(i + 1));
            (perm[i], perm[j]) = (perm[j], perm[i]);
        }
        var rank = new int[count];
        for (var i = 0; i < count; i++)
        {
            rank[perm[i]] = i;
        }
        return rank;
    }
}
