namespace Ferry.Engine.Copy;

/// <summary>
/// A column as the copy moves it: its name, the CLR type its values have (ADF's interim types), and, from PostgreSQL,
/// the source's own type name, so a PostgreSQL sink that creates its table keeps it (jsonb stays jsonb).
/// </summary>
public sealed record CopyColumn(string Name, Type Type, string? PostgresType = null);

/// <summary>Where rows come from. Rows are read into a buffer the caller owns, one at a time.</summary>
public interface ICopySource : IAsyncDisposable
{
    Task<IReadOnlyList<CopyColumn>> OpenAsync(CancellationToken ct);

    /// <summary>Fills <paramref name="row"/> with the next row; false at the end.</summary>
    ValueTask<bool> ReadAsync(object?[] row, CancellationToken ct);

    long BytesRead { get; }
    int FilesRead { get; }
}

/// <summary>Where rows go. Nothing is visible to others until <see cref="CommitAsync"/>; disposing without it leaves no trace.</summary>
public interface ICopySink : IAsyncDisposable
{
    Task OpenAsync(IReadOnlyList<CopyColumn> columns, CancellationToken ct);

    /// <summary>Writes one row; <paramref name="rowNumber"/> names it in errors.</summary>
    ValueTask WriteAsync(object?[] row, long rowNumber, CancellationToken ct);

    /// <summary>
    /// Makes the rows visible. With <paramref name="expectedRows"/> (validateDataConsistency) the sink first checks what
    /// its store confirms against it (rows for tables; rows, size and SHA-256 read back for files) and throws instead.
    /// </summary>
    Task CommitAsync(long? expectedRows, CancellationToken ct);

    long BytesWritten { get; }
    int FilesWritten { get; }
}

/// <summary>What the copy has done so far, reported to the control plane with each lease renewal.</summary>
public sealed record CopyProgress(long RowsRead, long RowsCopied, long BytesRead, long BytesWritten);

/// <summary>
/// The bytes a value counts for in dataRead and dataWritten where the store does not say: its characters or bytes for
/// text and binary, 8 for any other value, nothing for null. One rule for every source and sink.
/// </summary>
public static class CopyBytes
{
    public static long Of(object? value) => value switch
    {
        null or DBNull => 0,
        string s => s.Length,
        byte[] b => b.Length,
        _ => 8,
    };
}
