namespace Ferry.Engine.Copy;

/// <summary>
/// A column as the copy moves it: its name, the CLR type its values have (ADF's interim types), and, from PostgreSQL,
/// the source's own type name, so a PostgreSQL sink that creates its table keeps it (jsonb stays jsonb).
/// </summary>
public sealed record CopyColumn(string Name, Type Type, string? PostgresType = null)
{
    /// <summary>
    /// Times in this column come to the nanosecond (a Parquet source's NANOS unit; .NET keeps them to 100 ns): a
    /// Parquet sink writes them in nanoseconds rather than cutting them to microseconds.
    /// </summary>
    public bool Nanoseconds { get; init; }
}

/// <summary>Where rows come from, a batch at a time, each value in its column's own type.</summary>
public interface ICopySource : IAsyncDisposable
{
    Task<IReadOnlyList<CopyColumn>> OpenAsync(CancellationToken ct);

    /// <summary>
    /// Appends rows to <paramref name="batch"/> (whose columns have the types <see cref="OpenAsync"/> answered) until it
    /// is full or the source ends; false when the source had no more rows.
    /// </summary>
    ValueTask<bool> ReadAsync(RowBatch batch, CancellationToken ct);

    long BytesRead { get; }
    int FilesRead { get; }
}

/// <summary>Where rows go. Nothing is visible to others until <see cref="CommitAsync"/>; disposing without it leaves no trace.</summary>
public interface ICopySink : IAsyncDisposable
{
    /// <summary>
    /// Prepares to take <paramref name="columns"/> and answers the type each must arrive in: a table's column types, or
    /// the columns' own types for a sink that writes any value (files).
    /// </summary>
    Task<IReadOnlyList<Type>> OpenAsync(IReadOnlyList<CopyColumn> columns, CancellationToken ct);

    /// <summary>
    /// Rows an earlier attempt of the same activity run already committed to this store (a table sink keeps a record of
    /// its loads); the copy then loads nothing again. Null when none did, and always for files, whose commit is a rename
    /// that an attempt repeats without doubling anything.
    /// </summary>
    long? CommittedBefore { get; }

    /// <summary>Writes the batch's rows; a row the store refuses is recorded with <see cref="RowBatch.Reject"/> and not written.</summary>
    ValueTask WriteAsync(RowBatch batch, CancellationToken ct);

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

    public static long Of<T>(T value)
    {
        if (typeof(T) == typeof(string))
            return ((string)(object)value!).Length;
        if (typeof(T) == typeof(byte[]))
            return ((byte[])(object)value!).Length;
        return typeof(T).IsValueType ? 8 : Of((object?)value);
    }
}

/// <summary>
/// A source that produces one boxed row at a time (stores whose drivers work that way); the batching is done here.
/// </summary>
public abstract class RowSource : ICopySource
{
    private object?[] _row = [];

    public abstract Task<IReadOnlyList<CopyColumn>> OpenAsync(CancellationToken ct);

    /// <summary>Fills <paramref name="row"/> with the next row; false at the end.</summary>
    protected abstract ValueTask<bool> ReadRowAsync(object?[] row, CancellationToken ct);

    public async ValueTask<bool> ReadAsync(RowBatch batch, CancellationToken ct)
    {
        if (_row.Length != batch.Columns.Length)
            _row = new object?[batch.Columns.Length];
        var any = false;
        while (!batch.IsFull && await ReadRowAsync(_row, ct))
        {
            for (var i = 0; i < _row.Length; i++)
                batch.Columns[i].SetBoxed(batch.Count, AsColumnType(_row[i], batch.Columns[i].Type, batch.FirstRow + batch.Count, i));
            batch.Count++;
            any = true;
        }
        return any;
    }

    /// <summary>
    /// A value whose type differs from its column's (a store that types values one by one, like SQLite or Json) converted
    /// without loss, or a clear error naming row and column.
    /// </summary>
    private object? AsColumnType(object? value, Type type, long row, int column)
    {
        if (value is null || value.GetType() == type)
            return value;
        try
        {
            return TypeConversion.Convert(value, type, TypeConversionSettings.Default with { AllowDataTruncation = false });
        }
        catch (FormatException e)
        {
            throw new Interactive.DataStoreException(Contracts.Problems.ErrorCodes.InvalidData,
                $"Row {row}, column {column + 1} of the source: {e.Message}, the type the column's first rows have. {Describe()}");
        }
    }

    /// <summary>Where the rows come from, for messages.</summary>
    protected virtual string Describe() => "";

    public abstract long BytesRead { get; }
    public abstract int FilesRead { get; }
    public abstract ValueTask DisposeAsync();
}

/// <summary>A sink that takes one boxed row at a time (stores whose drivers work that way); the unbatching is done here.</summary>
public abstract class RowSink : ICopySink
{
    private object?[] _row = [];

    public abstract Task<IReadOnlyList<Type>> OpenAsync(IReadOnlyList<CopyColumn> columns, CancellationToken ct);

    /// <summary>Writes one row; throws <see cref="IncompatibleRowException"/> for a row the store refuses (nothing of it written).</summary>
    protected abstract ValueTask WriteRowAsync(object?[] row, long rowNumber, CancellationToken ct);

    public async ValueTask WriteAsync(RowBatch batch, CancellationToken ct)
    {
        if (_row.Length != batch.Columns.Length)
            _row = new object?[batch.Columns.Length];
        for (var r = 0; r < batch.Count; r++)
        {
            for (var i = 0; i < _row.Length; i++)
                _row[i] = batch.Columns[i].GetBoxed(r);
            try
            {
                await WriteRowAsync(_row, batch.RowNumber(r), ct);
            }
            catch (IncompatibleRowException e)
            {
                batch.Reject(r, e.Message);
            }
        }
    }

    public abstract Task CommitAsync(long? expectedRows, CancellationToken ct);
    public virtual long? CommittedBefore => null;
    public abstract long BytesWritten { get; }
    public abstract int FilesWritten { get; }
    public abstract ValueTask DisposeAsync();
}
