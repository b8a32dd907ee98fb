using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Pruning;

/// <summary>
/// The channel spaces of a graph under union-find: a space is a set of channels that must be removed together
/// (one Conv's outputs; several Convs' outputs once a residual Add or an SE Mul ties them). A space can be blocked
/// with a reason (its channels reach a model output, an operator we do not understand reads them, ...).
/// </summary>
internal sealed class ChannelSpaces
{
    private readonly List<int> _parent = [];
    private readonly List<int> _count = [];
    private readonly List<int> _unit = [];
    private readonly Dictionary<int, List<string>> _blocked = [];
    private readonly Dictionary<int, List<NodeProto>> _producers = [];

    /// <summary>Creates a space of <paramref name="count"/> channels produced by <paramref name="producer"/> (or none);
    /// a channel of an attention projection is a head of <paramref name="unit"/> consecutive columns.</summary>
    public int Create(int count, NodeProto? producer, int unit = 1)
    {
        var id = _parent.Count;
        _parent.Add(id);
        _count.Add(count);
        _unit.Add(unit);
        _producers[id] = producer is null ? [] : [producer];
        return id;
    }

    /// <summary>A space that is never pruned (channels of graph inputs and other opaque sources).</summary>
    public int CreateFixed(int count, string reason, NodeProto? producer = null)
    {
        var id = Create(count, producer);
        Block(id, reason);
        return id;
    }

    public int Find(int id)
    {
        while (_parent[id] != id)
        {
            _parent[id] = _parent[_parent[id]];
            id = _parent[id];
        }
        return id;
    }

    public int CountOf(int id) => _count[Find(id)];

    /// <summary>Columns per channel: 1 for ordinary channels, the head size for attention heads.</summary>
    public int UnitOf(int id) => _unit[Find(id)];

    /// <summary>Ties two spaces together; spaces of different sizes cannot be tied and are blocked instead.</summary>
    public void Union(int a, int b, string where)
    {
        a = Find(a);
        b = Find(b);
        if (a == b)
        {
            return;
        }
        if (_count[a] != _count[b] || _unit[a] != _unit[b])
        {
            var what = _unit[a] == _unit[b] ? $"{_count[a]} and {_count[b]} channels" : $"heads of {_unit[a]} and {_unit[b]} columns";
            Block(a, $"{where} combines {what}");
            Block(b, $"{where} combines {what}");
            return;
        }
        _parent[b] = a;
        _producers[a].AddRange(_producers[b].Where(p => !_producers[a].Contains(p))); // q, k and v share one producer
        _producers.Remove(b);
        if (_blocked.Remove(b, out var reasons))
        {
            foreach (var r in reasons)
            {
                Block(a, r);
            }
        }
    }

    public void Block(int id, string reason)
    {
        id = Find(id);
        if (!_blocked.TryGetValue(id, out var list))
        {
            _blocked[id] = list = [];
        }
        if (!list.Contains(reason))
        {
            list.Add(reason);
        }
    }

    public void BlockAll(ChannelLayout? layout, string reason)
    {
        if (layout is null)
        {
            return;
        }
        foreach (var s in layout.Segments)
        {
            Block(s.Space, reason);
        }
    }

    /// <summary>Why a space cannot be pruned; empty when it can.</summary>
    public IReadOnlyList<string> BlockReasons(int id) => _blocked.TryGetValue(Find(id), out var r) ? r : [];

    public IReadOnlyList<NodeProto> Producers(int id) => _producers.TryGetValue(Find(id), out var p) ? p : [];

    /// <summary>The root of every space, once each.</summary>
    public IEnumerable<int> Roots() => Enumerable.Range(0, _parent.Count).Where(i => _parent[i] == i);
}
