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
        for (var r = 0; r < batch.Count; r++)
        {
            if (_writer!.Check(batch, r) is { } reason)
                batch.Reject(r, $"Row {batch.RowNumber(r)}, {reason}.");
            else
                _writer.Add(batch, r);
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
