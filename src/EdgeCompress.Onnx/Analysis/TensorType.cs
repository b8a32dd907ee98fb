using System.Globalization;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Onnx;

/// <summary>An inferred element type and shape. <see cref="Dims"/> is null when even the rank is unknown.</summary>
public sealed record TensorType(TensorProto.Types.DataType ElementType, IReadOnlyList<Dim>? Dims)
{
    /// <summary>A type whose rank is unknown.</summary>
    public static TensorType UnknownShape(TensorProto.Types.DataType type) => new(type, null);

    /// <summary>The rank, or -1 when unknown.</summary>
    public int Rank => Dims?.Count ?? -1;

    /// <summary>True when the rank and every dimension are known.</summary>
    public bool IsFullyKnown => Dims is not null && Dims.All(d => d.IsKnown);

    /// <summary>The dims as numbers when all are known, otherwise null.</summary>
    public long[]? KnownDims() => IsFullyKnown ? Dims!.Select(d => d.Value).ToArray() : null;

    /// <summary>Elements when all dims are known (saturating at <see cref="SafeMath.Saturated"/>), otherwise null.</summary>
    public long? ElementCount() => KnownDims() is { } k ? SafeMath.Product(k) : null;

    /// <summary>The same shape with another element type.</summary>
    public TensorType WithType(TensorProto.Types.DataType type) => this with { ElementType = type };

    /// <summary>"1x3x224x224", "Nx3x?x?", "scalar" or "?" (rank unknown).</summary>
    public string ShapeText() => Dims is null ? "?" : Dims.Count == 0 ? "scalar" : string.Join("x", Dims.Select(d => d.ToString()));

    /// <summary>"float32[1,3,224,224]".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{DataTypes.Name(ElementType)}[{(Dims is null ? "?" : string.Join(",", Dims))}]");

    /// <summary>Reads a graph value_info / input / output type; null for non-tensor types (sequences, maps).</summary>
    public static TensorType? FromValueInfo(ValueInfoProto info)
    {
        var t = info.Type?.TensorType;
        if (t is null)
        {
            return null;
        }
        var type = (TensorProto.Types.DataType)t.ElemType;
        if (t.Shape is null)
        {
            return new TensorType(type, null);
        }
        var dims = t.Shape.Dim.Select(d =>
            d.HasDimValue && d.DimValue >= 0 ? Dim.Of(d.DimValue)
            : d.HasDimParam && d.DimParam.Length > 0 ? Dim.Sym(d.DimParam)
            : Dim.Unknown).ToArray();
        return new TensorType(type, dims);
    }

    /// <summary>The type of a stored tensor (initializer or Constant value).</summary>
    public static TensorType FromTensor(TensorProto tensor) =>
        new((TensorProto.Types.DataType)tensor.DataType, tensor.Dims.Select(Dim.Of).ToArray());

    /// <summary>Fills in what <paramref name="inferred"/> leaves unknown from a type stored in the graph.</summary>
    public static TensorType? Merge(TensorType? inferred, TensorType? stored)
    {
        if (inferred is null || stored is null)
        {
            return inferred ?? stored;
        }
        var type = inferred.ElementType != TensorProto.Types.DataType.Undefined ? inferred.ElementType : stored.ElementType;
        if (inferred.Dims is null || (stored.Dims is not null && stored.Dims.Count != inferred.Dims.Count))
        {
            return new TensorType(type, inferred.Dims ?? stored.Dims);
        }
        if (stored.Dims is null)
        {
            return new TensorType(type, inferred.Dims);
        }
        var dims = inferred.Dims.Select((d, i) => d.IsKnown || (d.IsSymbolic && !stored.Dims[i].IsKnown) ? d : stored.Dims[i]).ToArray();
        return new TensorType(type, dims);
    }
}
