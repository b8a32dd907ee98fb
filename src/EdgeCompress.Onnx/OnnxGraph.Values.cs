using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Onnx;

// Edits of initializers, graph inputs and value_info. Initializers are looked up by name, so their edits keep that
// lookup valid; graph inputs and value_info are read from the proto directly.
public sealed partial class OnnxGraph
{
    /// <summary>Adds or replaces an initializer by name.</summary>
    public void SetInitializer(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        Reserve([tensor.Name]);
        if (!Initializers.ContainsKey(tensor.Name))
        {
            Proto.Initializer.Add(tensor);
            // Appended last, so it is the one the lookup keeps for its name.
            _initializers![tensor.Name] = tensor;
            return;
        }
        for (var i = 0; i < Proto.Initializer.Count; i++)
        {
            if (Proto.Initializer[i].Name == tensor.Name)
            {
                Proto.Initializer[i] = tensor;
                break;
            }
        }
        InitializersChanged();
    }

    /// <summary>Removes an initializer (and its graph-input entry, if the exporter listed one).</summary>
    public bool RemoveInitializer(string name)
    {
        var removed = false;
        for (var i = Proto.Initializer.Count - 1; i >= 0; i--)
        {
            if (Proto.Initializer[i].Name == name)
            {
                Proto.Initializer.RemoveAt(i);
                removed = true;
            }
        }
        if (removed)
        {
            var input = Proto.Input.FirstOrDefault(v => v.Name == name);
            if (input is not null)
            {
                Proto.Input.Remove(input);
            }
            InitializersChanged();
        }
        return removed;
    }

    /// <summary>Removes initializers and Constant nodes nothing reads any more.</summary>
    public int RemoveUnused()
    {
        var removed = 0;
        bool changed;
        do
        {
            changed = false;
            foreach (var n in Proto.Node.ToList())
            {
                if (n.OpType == "Constant" && n.Output.All(o => Consumers(o).Count == 0 && !IsGraphOutput(o)))
                {
                    RemoveNode(n);
                    removed++;
                    changed = true;
                }
            }
        }
        while (changed);
        foreach (var t in Proto.Initializer.ToList())
        {
            if (Consumers(t.Name).Count == 0 && !IsGraphOutput(t.Name) && RemoveInitializer(t.Name))
            {
                removed++;
            }
        }
        return removed;
    }

    /// <summary>Appends a graph input.</summary>
    public void AddGraphInput(ValueInfoProto input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Proto.Input.Add(input);
        Reserve([input.Name]);
    }

    /// <summary>Removes the graph inputs that match; returns how many went.</summary>
    public int RemoveGraphInputs(Func<ValueInfoProto, bool> match) => RemoveWhere(Proto.Input, match);

    /// <summary>Removes the value_info entries (shapes recorded for intermediate values) that match; returns how many went.</summary>
    public int RemoveValueInfo(Func<ValueInfoProto, bool> match) => RemoveWhere(Proto.ValueInfo, match);

    private static int RemoveWhere(Google.Protobuf.Collections.RepeatedField<ValueInfoProto> list, Func<ValueInfoProto, bool> match)
    {
        ArgumentNullException.ThrowIfNull(match);
        var removed = 0;
        for (var i = list.Count - 1; i >= 0; i--)
        {
            if (match(list[i]))
            {
                list.RemoveAt(i);
                removed++;
            }
        }
        return removed;
    }

    /// <summary>After initializers were replaced, removed or renamed: the lookup is rebuilt on demand.</summary>
    private void InitializersChanged() => _initializers = null;
}
