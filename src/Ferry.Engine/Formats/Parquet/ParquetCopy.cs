using Ferry.Contracts.Problems;
using Ferry.Engine.Copy;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Formats.Parquet;

/// <summary>
/// Writes a Parquet file (ADF's Parquet dataset: compressionCodec none, snappy or gzip, applied to the pages) that appears
/// under its name only when whole. A value the file's column cannot hold (a decimal beyond its precision) rejects its row.
/// </summary>
public sealed class ParquetSink(string file, string? compression, int rowGroupRows = 122_880) : ICopySink
{
    private StagedFile? _file;
    private ParquetWriter? _writer;
    private BufferedStream? _buffer;

    public long BytesWritten => _file?.BytesWritten ?? 0;
    public int FilesWritten => _file?.Committed == true ? 1 : 0;
    public long? CommittedBefore => null;

    public Task<IReadOnlyList<Type>> OpenAsync(IReadOnlyList<CopyColumn> columns, CancellationToken ct)
    {
        _file = new StagedFile(file, null);
        try
        {
            _buffer = new BufferedStream(_file.Stream, 1 << 16);
            _writer = new ParquetWriter(_buffer, columns, compression, rowGroupRows);
        }
        catch (ArgumentException e)
        {
            throw new DataStoreException(ErrorCodes.InvalidProperty, e.Message, e);
        }
        return Task.FromResult<IReadOnlyList<Type>>(columns.Select(c => c.Type).ToList());
    }

    public ValueTask WriteAsync(RowBatch batch, CancellationToken ct)
    {
        var writer = _writer!;
        if (writer.Checks)
        {
            for (var r = 0; r < batch.Count; r++)
            {
                if (writer.Check(batch, r) is { } reason)
                    batch.Reject(r, $"Row {batch.RowNumber(r)}, {reason}.");
            }
        }
        if (batch.Rejections.Count == 0)
        {
            writer.AddAll(batch);
            return ValueTask.CompletedTask;
        }
        var rejected = batch.Rejections.Select(r => r.Index).ToHashSet();
        for (var r = 0; r < batch.Count; r++)
        {
            if (!rejected.Contains(r))
                writer.Add(batch, r);
        }
        return ValueTask.CompletedTask;
    }

    public async Task CommitAsync(long? expectedRows, CancellationToken ct)
    {
        _writer!.Finish();
        if (expectedRows is { } expected && expected != _writer.RowsWritten)
            throw new DataStoreException(ErrorCodes.InvalidData, $"Data consistency check failed for '{file}': {_writer.RowsWritten} rows written, {expected} expected. Nothing was committed.");
        await _buffer!.FlushAsync(ct);
        _file!.Commit(verify: expectedRows is not null);
    }

    public ValueTask DisposeAsync()
    {
        _file?.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// Reads a Parquet file a row group at a time (memory bounded by the largest row group). A file that is not valid Parquet,
/// or has what Ferry does not read (nested columns, another codec), fails naming the file and what is wrong.
/// </summary>
public sealed class ParquetSource(SourceFile source) : ICopySource
{
    private Stream? _stream;
    private ParquetReader? _reader;
    private ColumnBuffer[]? _group;
    private int _groupIndex = -1;
    private int _groupRows;
    private int _position;

    public long BytesRead { get; private set; }
    public int FilesRead => 1;

    public async Task<IReadOnlyList<CopyColumn>> OpenAsync(CancellationToken ct)
    {
        var stream = await source.OpenAsync(ct);
        if (!stream.CanSeek)
        {
            // Parquet is read from its footer backwards: a stream from a server is kept in a temporary file first,
            // deleted when the source is closed (or at once, if the download fails).
            var spool = Path.Combine(Path.GetTempPath(), $"ferry-{Guid.NewGuid():N}.parquet");
            try
            {
                await using (stream)
                await using (var file = new FileStream(spool, FileMode.CreateNew, FileAccess.Write))
                    await stream.CopyToAsync(file, ct);
                stream = new FileStream(spool, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.DeleteOnClose);
            }
            catch
            {
                File.Delete(spool);
                throw;
            }
        }
        _stream = stream;
        BytesRead = stream.Length;
        _reader = Guard(() => new ParquetReader(stream));
        return _reader.Columns;
    }

    public ValueTask<bool> ReadAsync(RowBatch batch, CancellationToken ct)
    {
        var any = false;
        while (!batch.IsFull)
        {
            if (_group is null || _position == _groupRows)
            {
                if (++_groupIndex >= _reader!.RowGroups.Count)
                    break;
                ct.ThrowIfCancellationRequested();
                _group = Guard(() => _reader.ReadRowGroup(_groupIndex));
                _groupRows = _group.Length == 0 ? 0 : _group[0].Nulls.Length;
                _position = 0;
                continue;
            }
            var count = Math.Min(batch.Capacity - batch.Count, _groupRows - _position);
            for (var c = 0; c < _group.Length; c++)
                _group[c].CopyRows(_position, batch.Columns[c], batch.Count, count);
            _position += count;
            batch.Count += count;
            any = true;
        }
        return ValueTask.FromResult(any);
    }

    private T Guard<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or EndOfStreamException or IndexOutOfRangeException or ArgumentException or OverflowException)
        {
            var what = e is NotSupportedException ? "has what Ferry does not read" : "is not a valid Parquet file";
            throw new DataStoreException(ErrorCodes.InvalidData, $"'{source.Name}' {what}: {e.Message}.", e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stream is not null)
            await _stream.DisposeAsync();
    }
}
