using Ferry.Contracts.Problems;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Copy;

/// <summary>Several files read as one source, one after the other; every file must have the first one's columns.</summary>
public sealed class MultiFileSource(IReadOnlyList<SourceFile> files, Func<SourceFile, ICopySource> open) : ICopySource
{
    private int _index;
    private ICopySource? _current;
    private IReadOnlyList<CopyColumn> _columns = [];
    private long _bytesDone;
    private RowBatch? _row;

    public long BytesRead => _bytesDone + (_current?.BytesRead ?? 0);
    public int FilesRead => _index + (_current is null ? 0 : 1);

    public async Task<IReadOnlyList<CopyColumn>> OpenAsync(CancellationToken ct)
    {
        _current = open(files[0]);
        _columns = await _current.OpenAsync(ct);
        return _columns;
    }

    public async ValueTask<bool> ReadAsync(RowBatch batch, CancellationToken ct)
    {
        var any = false;
        while (_current is not null && !batch.IsFull)
        {
            if (_row is null ? await _current.ReadAsync(batch, ct) : await ReadConvertedAsync(batch, ct))
            {
                any = true;
                continue;
            }
            _bytesDone += _current.BytesRead;
            await _current.DisposeAsync();
            _current = null;
            _row = null;
            if (++_index >= files.Count)
                break;
            _current = open(files[_index]);
            var columns = await _current.OpenAsync(ct);
            if (!columns.Select(c => c.Name).SequenceEqual(_columns.Select(c => c.Name), StringComparer.OrdinalIgnoreCase))
                throw new DataStoreException(ErrorCodes.InvalidData,
                    $"'{files[_index].Name}' has columns ({string.Join(", ", columns.Select(c => c.Name))}) where '{files[0].Name}' has ({string.Join(", ", _columns.Select(c => c.Name))}); " +
                    "files copied together must have the same columns.");
            if (!columns.Select(c => c.Type).SequenceEqual(_columns.Select(c => c.Type)))
                _row = new RowBatch(columns.Select(c => c.Type).ToList(), 1);
        }
        return any;
    }

    /// <summary>
    /// A file whose columns have other types than the first file's (Json infers them per file): its rows are read one at
    /// a time and converted to the first file's types.
    /// </summary>
    private async ValueTask<bool> ReadConvertedAsync(RowBatch batch, CancellationToken ct)
    {
        var any = false;
        while (!batch.IsFull)
        {
            _row!.Reset(0);
            if (!await _current!.ReadAsync(_row, ct))
                return any;
            for (var i = 0; i < _columns.Count; i++)
            {
                var value = _row.Columns[i].GetBoxed(0);
                try
                {
                    batch.Columns[i].SetBoxed(batch.Count, value is null ? null : TypeConversion.Convert(value, _columns[i].Type, TypeConversionSettings.Default));
                }
                catch (FormatException e)
                {
                    throw new DataStoreException(ErrorCodes.InvalidData,
                        $"'{files[_index].Name}', column '{_columns[i].Name}': {e.Message}, the type the column has in '{files[0].Name}'.");
                }
            }
            batch.Count++;
            any = true;
        }
        return any;
    }

    public async ValueTask DisposeAsync()
    {
        if (_current is not null)
            await _current.DisposeAsync();
    }
}
