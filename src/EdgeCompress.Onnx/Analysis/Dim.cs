using System.Globalization;

namespace EdgeCompress.Onnx;

/// <summary>
/// One dimension of an inferred shape, or one element of a folded integer tensor (shape computations):
/// a known value, a named symbol (an ONNX dim_param such as "N", or the symbolic result of Shape on one), or
/// unknown. <c>default(Dim)</c> is unknown. Known dimensions are never negative; known folded values may be
/// (e.g. the -1 in a Reshape target).
/// </summary>
public readonly record struct Dim
{
    private Dim(long value, string? symbol, bool known)
    {
        Value = value;
        Symbol = symbol;
        IsKnown = known;
    }

    /// <summary>An unknown dimension with no name.</summary>
    public static Dim Unknown => default;

    /// <summary>The value; meaningful only when <see cref="IsKnown"/>.</summary>
    public long Value { get; }

    /// <summary>The symbol name of a symbolic dimension, or null.</summary>
    public string? Symbol { get; }

    /// <summary>True when the value is known.</summary>
    public bool IsKnown { get; }

    /// <summary>True when the dimension is unknown but named, so two equal names are the same size.</summary>
    public bool IsSymbolic => !IsKnown && Symbol is not null;

    /// <summary>A known value.</summary>
    public static Dim Of(long value) => new(value, null, true);

    /// <summary>A named, unknown size.</summary>
    public static Dim Sym(string symbol) => new(0, symbol, false);

    /// <summary>Implicit conversion from a known value.</summary>
    public static implicit operator Dim(long value) => Of(value);

    /// <summary>The same as <see cref="Of(long)"/> (named alternative for the implicit operator).</summary>
    public static Dim FromInt64(long value) => Of(value);

    /// <summary>"224", "N" or "?".</summary>
    public override string ToString() => IsKnown ? Value.ToString(CultureInfo.InvariantCulture) : Symbol ?? "?";

    /// <summary>True when both are the same known value or the same symbol.</summary>
    public bool SameAs(Dim other) =>
        (IsKnown && other.IsKnown && Value == other.Value) || (IsSymbolic && other.IsSymbolic && Symbol == other.Symbol);

    /// <summary>Sum when both are known, otherwise unknown.</summary>
    public static Dim operator +(Dim a, Dim b) => a.IsKnown && b.IsKnown ? Of(SafeMath.Add(a.Value, b.Value)) : Unknown;

    /// <summary>Product when both are known (or one is a known 1), otherwise unknown.</summary>
    public static Dim operator *(Dim a, Dim b) =>
        a.IsKnown && b.IsKnown ? Of(SafeMath.Multiply(a.Value, b.Value))
        : a.IsKnown && a.Value == 1 ? b
        : b.IsKnown && b.Value == 1 ? a
        : Unknown;

    /// <summary>Named alternative for operator +.</summary>
    public static Dim Add(Dim a, Dim b) => a + b;

    /// <summary>Named alternative for operator *.</summary>
    public static Dim Multiply(Dim a, Dim b) => a * b;
}
