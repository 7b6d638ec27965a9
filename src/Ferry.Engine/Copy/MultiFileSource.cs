using Ferry.Contracts.Problems;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Copy;

/// <summary>Several files read as one source, one after the other; every file must have the first one's columns.</summary>
public sealed class MultiFileSource(IReadOnlyList<string> files, Func<string, ICopySource> open) : ICopySource
{
    private int _index;
    private ICopySource? _current;
    private IReadOnlyList<CopyColumn> _columns = [];
    private long _bytesDone;

    public long BytesRead => _bytesDone + (_current?.BytesRead ?? 0);
    public int FilesRead => _index + (_current is null ? 0 : 1);

    public async Task<IReadOnlyList<CopyColumn>> OpenAsync(CancellationToken ct)
    {
        _current = open(files[0]);
        _columns = await _current.OpenAsync(ct);
        return _columns;
    }

    public async ValueTask<bool> ReadAsync(object?[] row, CancellationToken ct)
    {
        while (_current is not null)
        {
            if (await _current.ReadAsync(row, ct))
                return true;
            _bytesDone += _current.BytesRead;
            await _current.DisposeAsync();
            _current = null;
            if (++_index >= files.Count)
                return false;
            _current = open(files[_index]);
            var columns = await _current.OpenAsync(ct);
            if (!columns.Select(c => c.Name).SequenceEqual(_columns.Select(c => c.Name), StringComparer.OrdinalIgnoreCase))
                throw new DataStoreException(ErrorCodes.InvalidData,
                    $"'{files[_index]}' has columns ({string.Join(", ", columns.Select(c => c.Name))}) where '{files[0]}' has ({string.Join(", ", _columns.Select(c => c.Name))}); " +
                    "files copied together must have the same columns.");
        }
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        if (_current is not null)
            await _current.DisposeAsync();
    }
}
