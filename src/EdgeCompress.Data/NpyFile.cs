using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace EdgeCompress.Data;

/// <summary>A NumPy array read from a .npy file (or a .npz member): its shape and values, floats for float dtypes,
/// longs for integer and bool dtypes.</summary>
/// <param name="Dtype">The dtype as NumPy names it (float32, int64, bool, ...).</param>
/// <param name="Shape">Shape; empty for a scalar.</param>
/// <param name="Floats">Values of a float16/32/64 array.</param>
/// <param name="Int64s">Values of an integer or bool array.</param>
internal sealed record NpyArray(string Dtype, long[] Shape, float[]? Floats, long[]? Int64s)
{
    /// <summary>True for float16, float32 and float64 arrays.</summary>
    public bool IsFloat => Floats is not null;
}

/// <summary>
/// Reads the .npy format (versions 1 to 3): little-endian float16/32/64, int8/32/64, uint8 and bool arrays in C order.
/// Big-endian data, Fortran order, other dtypes and truncated files are errors naming the file.
/// </summary>
internal static partial class NpyFile
{
    // 0x93 then "NUMPY" (a "\x93NUMPY"u8 literal would encode U+0093 as two UTF-8 bytes).
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads one array from a stream positioned at its magic string; <paramref name="name"/> names it in errors.</summary>
    public static NpyArray Read(Stream stream, string name)
    {
        Span<byte> preamble = stackalloc byte[8];
        ReadExactly(stream, preamble, name, "header");
        if (!preamble[..6].SequenceEqual(Magic) || preamble[6] is < 1 or > 3)
        {
            throw new DataException($"{name}: not a .npy array (no \\x93NUMPY magic of version 1 to 3)");
        }
        var major = preamble[6];
        int headerLength;
        if (major == 1)
        {
            Span<byte> len = stackalloc byte[2];
            ReadExactly(stream, len, name, "header");
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(len);
        }
        else
        {
            Span<byte> len = stackalloc byte[4];
            ReadExactly(stream, len, name, "header");
            headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(len));
        }
        var headerBytes = new byte[headerLength];
        ReadExactly(stream, headerBytes, name, "header");
        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);
        var descr = DescrPattern().Match(header);
        var fortran = FortranPattern().Match(header);
        var shapeText = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shapeText.Success)
        {
            throw new DataException($"{name}: .npy header has no descr, fortran_order and shape ({header.Trim()})");
        }
        if (fortran.Groups[1].Value == "True")
        {
            throw new DataException($"{name}: array is in Fortran order (fortran_order True); save it in C order, e.g. np.save(f, np.ascontiguousarray(a))");
        }
        var shape = shapeText.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => long.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v
                : throw new DataException($"{name}: .npy shape '({shapeText.Groups[1].Value})' is not a tuple of sizes"))
            .ToArray();
        var (dtype, itemSize) = Dtype(descr.Groups[1].Value, name);
        var count = shape.Aggregate(1L, (a, b) => checked(a * b));
        if (count > Array.MaxLength / Math.Max(8, itemSize))
        {
            throw new DataException($"{name}: array of {count} values is too large to load");
        }
        var data = GC.AllocateUninitializedArray<byte>(checked((int)(count * itemSize)));
        ReadExactly(stream, data, name, $"data ({count} x {dtype}, {data.Length} bytes)");
        return Convert(dtype, shape, data, (int)count);
    }

    private static (string Dtype, int ItemSize) Dtype(string descr, string name)
    {
        if (descr.Length >= 2 && descr[0] == '>' && descr[1..] is not ("u1" or "i1" or "b1"))
        {
            throw new DataException($"{name}: dtype '{descr}' is big-endian; save little-endian data (a.astype(a.dtype.newbyteorder('<')))");
        }
        return descr.TrimStart('<', '|', '=', '>') switch
        {
            "f4" => ("float32", 4),
            "f2" => ("float16", 2),
            "f8" => ("float64", 8),
            "i8" => ("int64", 8),
            "i4" => ("int32", 4),
            "i1" => ("int8", 1),
            "u1" => ("uint8", 1),
            "b1" => ("bool", 1),
            _ => throw new DataException($"{name}: dtype '{descr}' is not supported; use float32, float16, float64, int64, int32, int8, uint8 or bool"),
        };
    }

    private static NpyArray Convert(string dtype, long[] shape, byte[] data, int count)
    {
        if (dtype == "float32" && BitConverter.IsLittleEndian)
        {
            return new NpyArray(dtype, shape, MemoryMarshal.Cast<byte, float>(data).ToArray(), null);
        }
        if (dtype is "float32" or "float16" or "float64")
        {
            var floats = new float[count];
            for (var i = 0; i < count; i++)
            {
                floats[i] = dtype == "float32" ? BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(i * 4))
                    : dtype == "float16" ? (float)BinaryPrimitives.ReadHalfLittleEndian(data.AsSpan(i * 2))
                    : (float)BinaryPrimitives.ReadDoubleLittleEndian(data.AsSpan(i * 8));
            }
            return new NpyArray(dtype, shape, floats, null);
        }
        var longs = new long[count];
        switch (dtype)
        {
            case "int64":
                for (var i = 0; i < count; i++)
                {
                    longs[i] = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(i * 8));
                }
                break;
            case "int32":
                for (var i = 0; i < count; i++)
                {
                    longs[i] = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(i * 4));
                }
                break;
            default:
                for (var i = 0; i < count; i++)
                {
                    longs[i] = dtype == "int8" ? (sbyte)data[i] : dtype == "bool" ? (data[i] != 0 ? 1 : 0) : data[i];
                }
                break;
        }
        return new NpyArray(dtype, shape, null, longs);
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string name, string what)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw new DataException($"{name}: truncated .npy file: its {what} ends early", e);
        }
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
