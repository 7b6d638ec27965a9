using System.IO.Compression;
using Ferry.Contracts.Problems;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Copy;

/// <summary>A file a copy reads, wherever it is (a folder on the host, an HTTP server): its name for messages, and its bytes.</summary>
public sealed record SourceFile(string Name, Func<CancellationToken, Task<Stream>> OpenAsync)
{
    public static SourceFile Local(string path) => new(path, _ =>
    {
        try
        {
            return Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan));
        }
        catch (UnauthorizedAccessException e)
        {
            throw new DataStoreException(ErrorCodes.PermissionDenied, $"permission denied: this host's service account cannot read '{path}'.", e);
        }
        catch (FileNotFoundException e)
        {
            throw new DataStoreException(ErrorCodes.PathNotFound, $"The file '{path}' does not exist.", e);
        }
    });
}

/// <summary>ADF's compression codecs for files read and written: none, gzip, deflate, zlibDeflate.</summary>
public static class FileCompression
{
    public static Stream Decompress(Stream stream, string? codec) => codec?.ToUpperInvariant() switch
    {
        null or "" or "NONE" => stream,
        "GZIP" => new GZipStream(stream, CompressionMode.Decompress),
        "DEFLATE" => new DeflateStream(stream, CompressionMode.Decompress),
        "ZLIBDEFLATE" => new ZLibStream(stream, CompressionMode.Decompress),
        _ => throw Unsupported(codec),
    };

    public static DataStoreException Unsupported(string? codec) =>
        new(ErrorCodes.InvalidProperty, $"compressionCodec '{codec}' is not supported; use none, gzip, deflate or zlibDeflate.");
}
