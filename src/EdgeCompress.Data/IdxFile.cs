using System.Buffers.Binary;
using System.IO.Compression;

namespace EdgeCompress.Data;

/// <summary>
/// Streams an IDX file (the MNIST/Fashion-MNIST format: big-endian magic 0x000008NN, dims, then unsigned bytes),
/// gzip-compressed or not, one item at a time so memory stays flat whatever the file size.
/// </summary>
public sealed class IdxFile : IDisposable
{
    private readonly Stream _stream;

    private IdxFile(Stream stream, string path, int[] dims)
    {
        _stream = stream;
        Path = path;
        Dims = dims;
    }

    /// <summary>The file read.</summary>
    public string Path { get; }

    /// <summary>The dims from the header; Dims[0] is the item count.</summary>
    public int[] Dims { get; }

    /// <summary>Number of items.</summary>
    public int Count => Dims[0];

    /// <summary>Bytes per item (product of the remaining dims).</summary>
    public int ItemSize => Dims.Skip(1).Aggregate(1, (a, b) => a * b);

    /// <summary>Opens a file and reads its header.</summary>
    /// <exception cref="DataException">Missing file or not an unsigned-byte IDX file.</exception>
    public static IdxFile Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new DataException($"{path}: file not found");
        }
        Stream s = new BufferedStream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read), 1 << 16);
        try
        {
            if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
            {
                s = new BufferedStream(new GZipStream(s, CompressionMode.Decompress), 1 << 16);
            }
            Span<byte> header = stackalloc byte[4];
            ReadExactly(s, header, path);
            if (header[0] != 0 || header[1] != 0 || header[2] != 0x08 || header[3] is 0 or > 4)
            {
                throw new DataException($"{path}: not an unsigned-byte IDX file (magic {Convert.ToHexString(header)})");
            }
            var dims = new int[header[3]];
            Span<byte> d = stackalloc byte[4];
            for (var i = 0; i < dims.Length; i++)
            {
                ReadExactly(s, d, path);
                dims[i] = BinaryPrimitives.ReadInt32BigEndian(d);
                if (dims[i] < 0)
                {
                    throw new DataException($"{path}: negative dimension in IDX header");
                }
            }
            return new IdxFile(s, path, dims);
        }
        catch (InvalidDataException e)
        {
            s.Dispose();
            throw new DataException($"{path}: not a readable gzip file ({e.Message})", e);
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    /// <summary>Reads the next item into <paramref name="item"/> (length <see cref="ItemSize"/>).</summary>
    public void ReadItem(Span<byte> item) => ReadExactly(_stream, item, Path);

    private static void ReadExactly(Stream s, Span<byte> buffer, string path)
    {
        try
        {
            s.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw new DataException($"{path}: file ends early (truncated download or copy?)", e);
        }
        catch (InvalidDataException e)
        {
            throw new DataException($"{path}: corrupt gzip data ({e.Message})", e);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();
}
