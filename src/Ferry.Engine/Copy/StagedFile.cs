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
    private readonly System.Security.Cryptography.IncrementalHash _hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
    private bool _committed;

    public StagedFile(string target, string? compression)
    {
        _target = target;
        _temp = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.ferry-{Guid.NewGuid():N}.tmp");
        _counter = new CountingStream(new DiskFullGuard(new FileStream(_temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16), target), _hash);
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

    /// <summary>
    /// Closes the stream (the caller flushed what it buffers) and renames the file into place; with
    /// <paramref name="verify"/>, first reads the file back and checks its size and SHA-256 against what was written.
    /// </summary>
    public void Commit(bool verify = false)
    {
        Stream.Dispose();
        if (verify)
        {
            var written = _hash.GetHashAndReset();
            using var file = File.OpenRead(_temp);
            var onDisk = System.Security.Cryptography.SHA256.HashData(file);
            if (file.Length != _counter.Count || !onDisk.AsSpan().SequenceEqual(written))
                throw new Interactive.DataStoreException(Contracts.Problems.ErrorCodes.InvalidData,
                    $"Data consistency check failed for '{_target}': {_counter.Count} bytes were written and {file.Length} read back, with another checksum. Nothing was committed.");
        }
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
        _hash.Dispose();
        try
        {
            // Closing flushes what is buffered, which fails again on a full disk: the file goes all the same.
            Stream.Dispose();
        }
        catch (Exception e) when (e is IOException or Interactive.DataStoreException)
        {
            if (_committed)
                throw;
        }
        finally
        {
            if (!_committed && File.Exists(_temp))
                File.Delete(_temp);
        }
    }
}
