using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Engine.Access;
using Ferry.Engine.Copy;
using Ferry.Engine.Interactive;
using Microsoft.Data.Sqlite;

namespace Ferry.Engine.Connectors.Sqlite;

/// <summary>Reads a SQLite table, or <c>source.query</c>, from a file under the node's allowed folders.</summary>
public sealed class SqliteSource(string path, JsonObject dataset, JsonObject source) : RowSource
{
    private SqliteConnection? _connection;
    private SqliteCommand? _command;
    private SqliteDataReader? _reader;

    private long _bytesRead;

    public override long BytesRead => _bytesRead;
    public override int FilesRead => 0;

    public override async Task<IReadOnlyList<CopyColumn>> OpenAsync(CancellationToken ct)
    {
        if (!File.Exists(path))
            throw new DataStoreException(ErrorCodes.PathNotFound, $"The SQLite file '{path}' does not exist.");
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await _connection.OpenAsync(ct);
        var table = (dataset["typeProperties"] as JsonObject)?["table"]?.GetValue<string>();
        var sql = source["query"]?.GetValue<string>() is { Length: > 0 } query ? query
            : table is not null ? $"SELECT * FROM {SqliteSink.Quote(table)}"
            : throw new DataStoreException(ErrorCodes.InvalidProperty, "The SQLite dataset names no table and the source no query.");
        _command = new SqliteCommand(sql, _connection);
        try
        {
            _reader = await _command.ExecuteReaderAsync(ct);
        }
        catch (SqliteException e)
        {
            throw new DataStoreException(e.Message.Contains("no such table", StringComparison.Ordinal) ? ErrorCodes.TableNotFound : ErrorCodes.DataStoreError,
                $"SQLite '{path}': {e.Message}", e);
        }
        // SQLite's types are per value; the declared type names the column's type when there is one.
        return Enumerable.Range(0, _reader.FieldCount).Select(i => new CopyColumn(_reader.GetName(i), TypeOf(_reader.GetDataTypeName(i)))).ToList();
    }

    private static Type TypeOf(string declared) => declared.ToUpperInvariant() switch
    {
        var d when d.Contains("INT", StringComparison.Ordinal) => typeof(long),
        var d when d.Contains("REAL", StringComparison.Ordinal) || d.Contains("FLOA", StringComparison.Ordinal) || d.Contains("DOUB", StringComparison.Ordinal) => typeof(double),
        var d when d.Contains("BLOB", StringComparison.Ordinal) => typeof(byte[]),
        _ => typeof(string),
    };

    protected override async ValueTask<bool> ReadRowAsync(object?[] row, CancellationToken ct)
    {
        if (!await _reader!.ReadAsync(ct))
            return false;
        for (var i = 0; i < row.Length; i++)
        {
            var value = _reader.IsDBNull(i) ? null : _reader.GetValue(i);
            row[i] = value;
            _bytesRead += CopyBytes.Of(value);
        }
        return true;
    }

    public override async ValueTask DisposeAsync()
    {
        if (_reader is not null)
            await _reader.DisposeAsync();
        if (_command is not null)
            await _command.DisposeAsync();
        if (_connection is not null)
            await _connection.DisposeAsync();
    }
}

/// <summary>Inserts into a SQLite table in one transaction (created with <c>tableOption: autoCreate</c>); nothing stays unless it commits.</summary>
/// <remarks>
/// Like the PostgreSQL sink it records each committed load (per activity run) in a table of its own in the same file and
/// transaction, so a re-leased or retried copy loads nothing twice.
/// </remarks>
public sealed class SqliteSink(string path, JsonObject dataset, JsonObject sink, Guid activityRunId, TypeConversionSettings? settings = null) : RowSink
{
    private SqliteConnection? _connection;
    private SqliteTransaction? _transaction;
    private SqliteCommand? _insert;
    private long _inserted;
    private long? _committedBefore;
    private string _table = "";

    private long _bytesWritten;

    public override long BytesWritten => _bytesWritten;
    public override int FilesWritten => 0;

    public override async Task<IReadOnlyList<Type>> OpenAsync(IReadOnlyList<CopyColumn> columns, CancellationToken ct)
    {
        var table = (dataset["typeProperties"] as JsonObject)?["table"]?.GetValue<string>()
                    ?? throw new DataStoreException(ErrorCodes.InvalidProperty, "The SQLite sink dataset names no table.");
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        await _connection.OpenAsync(ct);
        await using (var ledger = new SqliteCommand("CREATE TABLE IF NOT EXISTS _ferry_copy_commits (activity_run_id TEXT PRIMARY KEY, target TEXT NOT NULL, " +
                                                     "rows INTEGER NOT NULL, committed_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP); " +
                                                     "SELECT rows FROM _ferry_copy_commits WHERE activity_run_id = @id", _connection))
        {
            ledger.Parameters.AddWithValue("@id", activityRunId.ToString());
            if (await ledger.ExecuteScalarAsync(ct) is long rows)
            {
                _committedBefore = rows;
                return columns.Select(c => c.Type).ToList();
            }
        }
        _table = table;
        _transaction = (SqliteTransaction)await _connection.BeginTransactionAsync(ct);
        await using (var exists = new SqliteCommand("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = @t", _connection, _transaction))
        {
            exists.Parameters.AddWithValue("@t", table);
            if ((long)(await exists.ExecuteScalarAsync(ct))! == 0)
            {
                if (!string.Equals(sink["tableOption"]?.GetValue<string>(), "autoCreate", StringComparison.OrdinalIgnoreCase))
                    throw new DataStoreException(ErrorCodes.TableNotFound, $"The sink table '{table}' does not exist in '{path}'; create it, or set sink.tableOption: \"autoCreate\".");
                await using var create = new SqliteCommand($"CREATE TABLE {Quote(table)} ({string.Join(", ", columns.Select(c => $"{Quote(c.Name)} {Affinity(c.Type)}"))})",
                    _connection, _transaction);
                await create.ExecuteNonQueryAsync(ct);
            }
        }
        _insert = new SqliteCommand($"INSERT INTO {Quote(table)} ({string.Join(", ", columns.Select(c => Quote(c.Name)))}) " +
                                    $"VALUES ({string.Join(", ", columns.Select((_, i) => $"@p{i}"))})", _connection, _transaction);
        for (var i = 0; i < columns.Count; i++)
            _insert.Parameters.Add(new SqliteParameter($"@p{i}", null));
        return columns.Select(c => c.Type).ToList();
    }

    internal static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Affinity(Type type) =>
        type == typeof(long) || type == typeof(int) || type == typeof(short) || type == typeof(bool) ? "INTEGER"
        : type == typeof(double) || type == typeof(float) ? "REAL"
        : type == typeof(byte[]) ? "BLOB"
        : "TEXT";

    protected override async ValueTask WriteRowAsync(object?[] row, long rowNumber, CancellationToken ct)
    {
        for (var i = 0; i < row.Length; i++)
        {
            // Text where SQLite has no type of its own keeps every digit (decimals) and the offset (timestamps).
            var value = row[i] switch
            {
                null => DBNull.Value,
                string or long or int or short or double or float or byte[] => row[i]!,
                bool b => b ? 1L : 0L,
                var other => TextValues.Format(other, settings ?? TypeConversionSettings.Default),
            };
            _insert!.Parameters[i].Value = value;
            _bytesWritten += CopyBytes.Of(value);
        }
        try
        {
            _inserted += await _insert!.ExecuteNonQueryAsync(ct);
        }
        catch (SqliteException e)
        {
            throw new IncompatibleRowException($"Row {rowNumber}: SQLite refused it ({e.Message}).");
        }
    }

    public override long? CommittedBefore => _committedBefore;

    public override async Task CommitAsync(long? expectedRows, CancellationToken ct)
    {
        if (expectedRows is { } expected && expected != _inserted)
            throw new DataStoreException(ErrorCodes.InvalidData, $"Data consistency check failed for '{path}': SQLite took {_inserted} rows, {expected} were sent. Nothing was committed.");
        await using (var record = new SqliteCommand("INSERT INTO _ferry_copy_commits (activity_run_id, target, rows) VALUES (@id, @target, @rows); " +
                                                    "DELETE FROM _ferry_copy_commits WHERE committed_at < datetime('now', '-7 days')", _connection, _transaction))
        {
            record.Parameters.AddWithValue("@id", activityRunId.ToString());
            record.Parameters.AddWithValue("@target", _table);
            record.Parameters.AddWithValue("@rows", _inserted);
            await record.ExecuteNonQueryAsync(ct);
        }
        await _transaction!.CommitAsync(ct);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_insert is not null)
            await _insert.DisposeAsync();
        if (_transaction is not null)
            await _transaction.DisposeAsync();
        if (_connection is not null)
            await _connection.DisposeAsync();
    }
}

/// <summary>Where a Sqlite linked service's file is, after local folder path validation.</summary>
public static class SqlitePath
{
    public static string Of(LinkedServiceSettings settings, EngineContext context)
    {
        var configured = settings.RequiredString("path");
        return LocalFolders.Resolve(context.Policy, Path.GetDirectoryName(configured) ?? configured, Path.GetFileName(configured));
    }
}
