using System.Net;

namespace EdgeCompress.Fleet;

/// <summary>A file streamed as a request body in 64 KiB chunks (never loaded whole), reporting bytes sent.</summary>
internal sealed class FileUploadContent : HttpContent
{
    private const int ChunkBytes = 64 * 1024;
    private readonly string _path;
    private readonly long _length;
    private readonly IProgress<long>? _progress;

    public FileUploadContent(string path, long length, IProgress<long>? progress)
    {
        _path = path;
        _length = length;
        _progress = progress;
        Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, ChunkBytes, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (file.ConfigureAwait(false))
        {
            var buffer = new byte[ChunkBytes];
            long sent = 0;
            int read;
            while ((read = await file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                sent += read;
                _progress?.Report(sent);
            }
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _length;
        return true;
    }
}
