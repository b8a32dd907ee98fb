using System.Buffers.Binary;
using System.Text;

namespace EdgeCompress.Protocol;

/// <summary>One named tensor on the wire: ONNX element type number, dimensions and raw little-endian bytes.</summary>
/// <param name="Name">The model input (or output) it belongs to.</param>
/// <param name="ElementType">ONNX TensorProto element type (1 float, 2 uint8, 3 int8, 6 int32, 7 int64, 9 bool, 10 float16, 11 double...).</param>
/// <param name="Dims">Dimensions, batch included.</param>
/// <param name="Data">The values, little-endian, row-major.</param>
public sealed record WireTensor(string Name, int ElementType, long[] Dims, byte[] Data)
{
    /// <summary>"float32 [1,3,224,224]".</summary>
    public string Describe() => $"{TensorSet.TypeName(ElementType)} [{string.Join(',', Dims)}]";
}

/// <summary>
/// The binary format of input sets sent to edged (<c>PUT /v1/inputs/{sha256}</c>) and of the outputs it sends back
/// (<c>GET /v1/benchmarks/{id}/outputs</c>): a list of samples, each a list of named tensors.
/// <code>
/// "ECTS" u16 version(1) u32 samples
///   per sample: u16 tensors
///     per tensor: u16 name length, UTF-8 name, u8 element type, u8 rank, i64 dims[rank], i64 byte length, bytes
/// </code>
/// All integers little-endian. Read streams and checks every length against the model-independent rules (known element
/// type, byte length = elements x element size, names of 1-256 bytes, rank at most 8), so a corrupt or hostile body
/// is refused with a message instead of allocating what it claims.
/// </summary>
public static class TensorSet
{
    /// <summary>Media type of the format.</summary>
    public const string MediaType = "application/vnd.edgecompress.tensors";

    /// <summary>Most samples a set may hold.</summary>
    public const int MaxSamples = 10_000;

    private const ushort Version = 1;
    private static readonly byte[] Magic = "ECTS"u8.ToArray();

    /// <summary>Bytes per element of an ONNX element type, or null for types the format does not carry (strings, int4...).</summary>
    public static int? ElementSize(int elementType) => elementType switch
    {
        1 or 6 or 12 => 4, // float, int32, uint32
        2 or 3 or 9 => 1, // uint8, int8, bool
        4 or 5 or 10 or 16 => 2, // uint16, int16, float16, bfloat16
        7 or 11 or 13 => 8, // int64, double, uint64
        _ => null,
    };

    /// <summary>A short name for an ONNX element type number.</summary>
    public static string TypeName(int elementType) => elementType switch
    {
        1 => "float32", 2 => "uint8", 3 => "int8", 4 => "uint16", 5 => "int16", 6 => "int32", 7 => "int64", 8 => "string",
        9 => "bool", 10 => "float16", 11 => "float64", 12 => "uint32", 13 => "uint64", 16 => "bfloat16",
        _ => $"type {elementType}",
    };

    /// <summary>Writes <paramref name="samples"/> to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, IReadOnlyList<IReadOnlyList<WireTensor>> samples)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(samples);
        Span<byte> head = stackalloc byte[10];
        Magic.CopyTo(head);
        BinaryPrimitives.WriteUInt16LittleEndian(head[4..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(head[6..], (uint)samples.Count);
        stream.Write(head);
        Span<byte> number = stackalloc byte[8];
        foreach (var sample in samples)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(number, checked((ushort)sample.Count));
            stream.Write(number[..2]);
            foreach (var tensor in sample)
            {
                var name = Encoding.UTF8.GetBytes(tensor.Name);
                BinaryPrimitives.WriteUInt16LittleEndian(number, checked((ushort)name.Length));
                stream.Write(number[..2]);
                stream.Write(name);
                stream.WriteByte(checked((byte)tensor.ElementType));
                stream.WriteByte(checked((byte)tensor.Dims.Length));
                foreach (var d in tensor.Dims)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(number, d);
                    stream.Write(number);
                }

                BinaryPrimitives.WriteInt64LittleEndian(number, tensor.Data.LongLength);
                stream.Write(number);
                stream.Write(tensor.Data);
            }
        }
    }

    /// <summary>The bytes of <paramref name="samples"/> in this format.</summary>
    public static byte[] ToBytes(IReadOnlyList<IReadOnlyList<WireTensor>> samples)
    {
        using var buffer = new MemoryStream();
        Write(buffer, samples);
        return buffer.ToArray();
    }

    /// <summary>
    /// Reads a whole set; <see cref="InvalidDataException"/> with the first problem (and where it is) when the bytes are
    /// not a well-formed set, or would hold more than <paramref name="maxDataBytes"/> bytes of tensor data.
    /// </summary>
    public static List<IReadOnlyList<WireTensor>> Read(Stream stream, long maxDataBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var reader = new Reader(stream);
        if (!reader.Bytes(4).AsSpan().SequenceEqual(Magic))
        {
            throw new InvalidDataException("not a tensor set (it must start with \"ECTS\")");
        }

        if (reader.UInt16() is var version && version != Version)
        {
            throw new InvalidDataException($"tensor set format version {version} is not supported (this side reads version {Version})");
        }

        var count = reader.UInt32();
        if (count is 0 or > MaxSamples)
        {
            throw new InvalidDataException($"a tensor set holds 1 to {MaxSamples} samples; this one says {count}");
        }

        var samples = new List<IReadOnlyList<WireTensor>>((int)count);
        long total = 0;
        for (var s = 0; s < count; s++)
        {
            var tensors = reader.UInt16();
            var sample = new List<WireTensor>(tensors);
            for (var t = 0; t < tensors; t++)
            {
                var where = $"sample {s}, tensor {t}";
                var nameLength = reader.UInt16();
                if (nameLength is 0 or > 256)
                {
                    throw new InvalidDataException($"{where}: a name has 1 to 256 bytes; this one says {nameLength}");
                }

                var name = Encoding.UTF8.GetString(reader.Bytes(nameLength));
                var type = reader.Byte();
                if (ElementSize(type) is not { } size)
                {
                    throw new InvalidDataException($"{where} ('{name}'): element type {TypeName(type)} cannot be carried");
                }

                var rank = reader.Byte();
                if (rank > 8)
                {
                    throw new InvalidDataException($"{where} ('{name}'): rank {rank} is over 8");
                }

                var dims = new long[rank];
                long elements = 1;
                for (var d = 0; d < rank; d++)
                {
                    dims[d] = reader.Int64();
                    if (dims[d] < 0 || (dims[d] > 0 && elements > long.MaxValue / dims[d]))
                    {
                        throw new InvalidDataException($"{where} ('{name}'): dimension {d} = {dims[d]} is not a size");
                    }

                    elements *= dims[d];
                }

                var length = reader.Int64();
                if (elements > long.MaxValue / size || length != elements * size)
                {
                    throw new InvalidDataException($"{where} ('{name}'): {length} bytes of data for {TypeName(type)} [{string.Join(',', dims)}], which needs {(elements > long.MaxValue / size ? "more" : (elements * size).ToString(System.Globalization.CultureInfo.InvariantCulture))}");
                }

                total += length;
                if (total > maxDataBytes || length > Array.MaxLength)
                {
                    throw new InvalidDataException($"{where} ('{name}'): the set's tensors take more than {maxDataBytes} bytes, the limit");
                }

                sample.Add(new WireTensor(name, type, dims, reader.Bytes((int)length)));
            }

            samples.Add(sample);
        }

        if (stream.ReadByte() != -1)
        {
            throw new InvalidDataException($"bytes follow the last of the {count} samples");
        }

        return samples;
    }

    private sealed class Reader(Stream stream)
    {
        private readonly byte[] _number = new byte[8];
        private long _position;

        public byte[] Bytes(int count)
        {
            var data = new byte[count];
            Fill(data);
            return data;
        }

        public byte Byte() => Fill(_number.AsSpan(0, 1))[0];

        public ushort UInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Fill(_number.AsSpan(0, 2)));

        public uint UInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Fill(_number.AsSpan(0, 4)));

        public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Fill(_number.AsSpan(0, 8)));

        private Span<byte> Fill(Span<byte> target)
        {
            var read = 0;
            while (read < target.Length)
            {
                var n = stream.Read(target[read..]);
                if (n == 0)
                {
                    throw new InvalidDataException($"the tensor set ends early, at byte {_position + read}");
                }

                read += n;
            }

            _position += read;
            return target;
        }
    }
}
