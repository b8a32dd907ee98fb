using EdgeCompress.Onnx.Protos;
using Google.Protobuf;

namespace EdgeCompress.Onnx;

/// <summary>Typed access to node attributes with the defaults the operator specifications give.</summary>
public static class NodeAttributes
{
    /// <summary>The attribute with this name, or null.</summary>
    public static AttributeProto? Find(this NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

    /// <summary>An INT attribute, or the default.</summary>
    public static long GetInt(this NodeProto node, string name, long fallback) => node.Find(name) is { } a ? a.I : fallback;

    /// <summary>A FLOAT attribute, or the default.</summary>
    public static float GetFloat(this NodeProto node, string name, float fallback) => node.Find(name) is { } a ? a.F : fallback;

    /// <summary>A STRING attribute (UTF-8), or the default.</summary>
    public static string GetString(this NodeProto node, string name, string fallback) =>
        node.Find(name) is { } a ? a.S.ToStringUtf8() : fallback;

    /// <summary>An INTS attribute, or null when absent.</summary>
    public static long[]? GetInts(this NodeProto node, string name) => node.Find(name) is { } a ? a.Ints.ToArray() : null;

    /// <summary>A FLOATS attribute, or null when absent.</summary>
    public static float[]? GetFloats(this NodeProto node, string name) => node.Find(name) is { } a ? a.Floats.ToArray() : null;

    /// <summary>Sets (adds or replaces) an INT attribute.</summary>
    public static void SetInt(this NodeProto node, string name, long value) =>
        Replace(node, new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value });

    /// <summary>Sets (adds or replaces) a FLOAT attribute.</summary>
    public static void SetFloat(this NodeProto node, string name, float value) =>
        Replace(node, new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value });

    /// <summary>Sets (adds or replaces) a STRING attribute.</summary>
    public static void SetString(this NodeProto node, string name, string value) =>
        Replace(node, new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) });

    /// <summary>Sets (adds or replaces) an INTS attribute.</summary>
    public static void SetInts(this NodeProto node, string name, IEnumerable<long> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        Replace(node, a);
    }

    /// <summary>Sets (adds or replaces) a TENSOR attribute.</summary>
    public static void SetTensor(this NodeProto node, string name, TensorProto value) =>
        Replace(node, new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = value });

    /// <summary>Removes an attribute if present.</summary>
    public static void RemoveAttribute(this NodeProto node, string name)
    {
        var a = node.Find(name);
        if (a is not null)
        {
            node.Attribute.Remove(a);
        }
    }

    private static void Replace(NodeProto node, AttributeProto attribute)
    {
        node.RemoveAttribute(attribute.Name);
        node.Attribute.Add(attribute);
    }

    /// <summary>Builds a node in the default domain.</summary>
    public static NodeProto Create(string opType, string name, IEnumerable<string> inputs, IEnumerable<string> outputs)
    {
        var n = new NodeProto { OpType = opType, Name = name };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        return n;
    }
}
