using System.IO.Compression;
using Ferry.Engine.Formats.DelimitedText;

namespace Ferry.Engine.Copy;

/// <summary>
/// A file written whole or not at all: bytes go to a hidden temporary file beside the target, renamed over it at
/// <see cref="Commit"/>; disposing without a commit deletes the temporary file. Temporary files of earlier attempts
/// at the same target (a node killed mid-copy) are removed by the commit, since they can never be committed.
/// </summary>
public sealed class StagedFile : IDisposable
{
    private readonly string _target;
    private readonly string _temp;
    private readonly CountingStream _counter;
    private bool _committed;

    public StagedFile(string target, string? compression)
    {
        _target = target;
        _temp = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.ferry-{Guid.NewGuid():N}.tmp");
        _counter = new CountingStream(new FileStream(_temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16));
        Stream = compression?.ToUpperInvariant() switch
        {
            null or "" or "NONE" => _counter,
            "GZIP" => new GZipStream(_counter, CompressionLevel.Fastest),
            _ => throw new Interactive.DataStoreException(Contracts.Problems.ErrorCodes.InvalidProperty,
                $"compressionCodec '{compression}' cannot be written yet; use none or gzip."),
        };
    }

    /// <summary>Where to write; closed by <see cref="Commit"/>.</summary>
    public Stream Stream { get; }

    public long BytesWritten => _counter.Count;
    public bool Committed => _committed;

    /// <summary>Closes the stream (the caller flushed what it buffers) and renames the file into place.</summary>
    public void Commit()
    {
        Stream.Dispose();
        File.Move(_temp, _target, overwrite: true);
        _committed = true;
        foreach (var stale in Directory.EnumerateFiles(Path.GetDirectoryName(_target)!, $".{Path.GetFileName(_target)}.ferry-*.tmp"))
        {
            try
            {
                File.Delete(stale);
            }
            catch (IOException)
            {
                // Still open elsewhere; the next commit to this target removes it.
            }
        }
    }

    public void Dispose()
    {
        Stream.Dispose();
        if (!_committed && File.Exists(_temp))
            File.Delete(_temp);
    }
}
