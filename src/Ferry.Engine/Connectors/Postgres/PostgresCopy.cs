using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Engine.Copy;
using Ferry.Engine.Interactive;
using Npgsql;
using NpgsqlTypes;

namespace Ferry.Engine.Connectors.Postgres;

/// <summary>Reads a PostgreSQL table, or the result of <c>source.query</c>, row by row with the server's types.</summary>
public sealed class PostgresSource(PostgresConnector connector, JsonObject dataset, JsonObject source) : ICopySource
{
    private NpgsqlConnection? _connection;
    private NpgsqlCommand? _command;
    private NpgsqlDataReader? _reader;
    private bool[] _withTimeZone = [];

    public long BytesRead { get; private set; }
    public int FilesRead => 0;

    public async Task<IReadOnlyList<CopyColumn>> OpenAsync(CancellationToken ct)
    {
        var sql = source["query"]?.GetValue<string>() is { Length: > 0 } query
            ? query
            : $"SELECT * FROM {Table()}";
        _connection = await connector.OpenAsync(ct);
        _command = new NpgsqlCommand(sql, _connection) { CommandTimeout = 0 };
        try
        {
            _reader = await _command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);
        }
        catch (PostgresException e)
        {
            throw connector.Classify(e);
        }
        // timestamptz comes back as a UTC DateTime; the copy carries it as a DateTimeOffset so it keeps meaning an instant.
        _withTimeZone = Enumerable.Range(0, _reader.FieldCount).Select(i => _reader.GetDataTypeName(i) == "timestamp with time zone").ToArray();
        return Enumerable.Range(0, _reader.FieldCount)
            .Select(i => new CopyColumn(_reader.GetName(i), _withTimeZone[i] ? typeof(DateTimeOffset) : _reader.GetFieldType(i), _reader.GetDataTypeName(i))).ToList();
    }

    private string Table()
    {
        var (schema, table) = connector.TableOfDataset(dataset);
        return $"{PostgresConnector.QuoteIdentifier(schema)}.{PostgresConnector.QuoteIdentifier(table)}";
    }

    public async ValueTask<bool> ReadAsync(object?[] row, CancellationToken ct)
    {
        try
        {
            if (!await _reader!.ReadAsync(ct))
                return false;
            for (var i = 0; i < row.Length; i++)
            {
                var value = await _reader.IsDBNullAsync(i, ct) ? null : _reader.GetValue(i);
                if (_withTimeZone[i] && value is DateTime utc)
                    value = new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc));
                row[i] = value;
                BytesRead += CopyBytes.Of(value);
            }
            return true;
        }
        catch (PostgresException e)
        {
            throw connector.Classify(e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_reader is not null)
            await _reader.DisposeAsync();
        if (_command is not null)
            await _command.DisposeAsync();
        if (_connection is not null)
            await _connection.DisposeAsync();
    }
}

/// <summary>
/// Writes into a PostgreSQL table with binary COPY, inside one transaction that commits only at the end: a failed or
/// cancelled copy leaves the table as it was. <c>preCopyScript</c> runs in the same transaction; <c>tableOption:
/// autoCreate</c> creates a missing table from the source's columns; <c>writeBehavior: upsert</c> loads a staging
/// table and merges on <c>upsertSettings.keys</c>.
/// </summary>
public sealed class PostgresSink(PostgresConnector connector, JsonObject dataset, JsonObject sink) : ICopySink
{
    private NpgsqlConnection? _connection;
    private NpgsqlTransaction? _transaction;
    private NpgsqlBinaryImporter? _importer;
    private (string Name, Type Type, NpgsqlDbType DbType, int Source)[] _targets = [];
    private string _table = "";
    private string _loadTable = "";
    private List<string> _keys = [];
    private object?[]? _converted;

    public long BytesWritten { get; private set; }
    public int FilesWritten => 0;

    public async Task OpenAsync(IReadOnlyList<CopyColumn> columns, CancellationToken ct)
    {
        var (schema, table) = connector.TableOfDataset(dataset);
        _table = $"{PostgresConnector.QuoteIdentifier(schema)}.{PostgresConnector.QuoteIdentifier(table)}";
        _connection = await connector.OpenAsync(ct);
        _transaction = await _connection.BeginTransactionAsync(ct);
        try
        {
            if (sink["preCopyScript"]?.GetValue<string>() is { Length: > 0 } script)
                await ExecAsync(script, ct);
            var existing = await ColumnsAsync(schema, table, ct);
            if (existing.Count == 0)
            {
                if (!string.Equals(sink["tableOption"]?.GetValue<string>(), "autoCreate", StringComparison.OrdinalIgnoreCase))
                    throw new DataStoreException(ErrorCodes.TableNotFound,
                        $"The sink table {schema}.{table} does not exist at {connector.Endpoint}; create it, or set sink.tableOption: \"autoCreate\".");
                await ExecAsync($"CREATE TABLE {_table} ({string.Join(", ", columns.Select(c => $"{PostgresConnector.QuoteIdentifier(c.Name)} {c.PostgresType ?? PgTypeFor(c.Type)}"))})", ct);
                existing = await ColumnsAsync(schema, table, ct);
            }
            _targets = existing.Select(t => (t.Name, t.Type, t.DbType, Source: IndexOf(columns, t.Name))).Where(t => t.Source >= 0).ToArray();
            var unmatched = columns.Where(c => existing.All(t => !t.Name.Equals(c.Name, StringComparison.OrdinalIgnoreCase))).Select(c => c.Name).ToList();
            if (unmatched.Count > 0)
                throw new DataStoreException(ErrorCodes.InvalidData,
                    $"The sink table {schema}.{table} has no column(s) {string.Join(", ", unmatched)}; add them, or map the columns (translator).");

            _loadTable = _table;
            if (string.Equals(sink["writeBehavior"]?.GetValue<string>(), "upsert", StringComparison.OrdinalIgnoreCase))
            {
                _keys = (sink["upsertSettings"]?["keys"] as JsonArray ?? []).Select(k => k!.GetValue<string>()).ToList();
                if (_keys.Count == 0)
                    throw new DataStoreException(ErrorCodes.InvalidProperty, "writeBehavior upsert needs sink.upsertSettings.keys: the columns that identify a row.");
                _loadTable = "ferry_upsert_stage";
                await ExecAsync($"CREATE TEMP TABLE {_loadTable} (LIKE {_table} INCLUDING DEFAULTS) ON COMMIT DROP", ct);
            }
            var columnList = string.Join(", ", _targets.Select(t => PostgresConnector.QuoteIdentifier(t.Name)));
            _importer = await _connection.BeginBinaryImportAsync($"COPY {_loadTable} ({columnList}) FROM STDIN (FORMAT BINARY)", ct);
        }
        catch (PostgresException e)
        {
            throw connector.Classify(e);
        }
    }

    private static int IndexOf(IReadOnlyList<CopyColumn> columns, string name)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            if (columns[i].Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                return i;
        }
        return -1;
    }

    public async ValueTask WriteAsync(object?[] row, long rowNumber, CancellationToken ct)
    {
        // Convert the whole row before writing any of it, so a row that does not fit can be skipped cleanly.
        _converted ??= new object?[_targets.Length];
        for (var i = 0; i < _targets.Length; i++)
        {
            var (name, type, dbType, source) = _targets[i];
            try
            {
                _converted[i] = row[source] is { } value ? Convert(value, type, dbType) : null;
            }
            catch (FormatException e)
            {
                throw new IncompatibleRowException($"Row {rowNumber}, column '{name}': {e.Message} for the sink's column type.");
            }
        }
        await _importer!.StartRowAsync(ct);
        for (var i = 0; i < _targets.Length; i++)
        {
            if (_converted[i] is not { } value)
            {
                await _importer.WriteNullAsync(ct);
                continue;
            }
            BytesWritten += CopyBytes.Of(value);
            await _importer.WriteAsync(value, _targets[i].DbType, ct);
        }
    }

    /// <summary>A value as the target column's type wants it (Npgsql: timestamptz as a UTC DateTime, timestamp as an unspecified one).</summary>
    private static object Convert(object value, Type type, NpgsqlDbType dbType)
    {
        var typed = value.GetType() == type ? value
            : value is string s ? TextValues.Parse(s, type)
            : type == typeof(DateTimeOffset) && value is DateTime dt ? new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc))
            : type == typeof(string) ? TextValues.Format(value)
            : TextValues.Parse(TextValues.Format(value), type);
        return dbType switch
        {
            NpgsqlDbType.TimestampTz => typed is DateTimeOffset dto ? dto.UtcDateTime : DateTime.SpecifyKind((DateTime)typed, DateTimeKind.Utc),
            NpgsqlDbType.Timestamp => typed is DateTime local ? DateTime.SpecifyKind(local, DateTimeKind.Unspecified) : ((DateTimeOffset)typed).DateTime,
            _ => typed,
        };
    }

    public async Task CommitAsync(long? expectedRows, CancellationToken ct)
    {
        try
        {
            var imported = await _importer!.CompleteAsync(ct);
            if (expectedRows is { } expected && (long)imported != expected)
                throw new DataStoreException(ErrorCodes.InvalidData,
                    $"Data consistency check failed for {_table}: PostgreSQL took {imported} rows, {expected} were sent. Nothing was committed.");
            await _importer.DisposeAsync();
            _importer = null;
            if (_keys.Count > 0)
            {
                var columns = _targets.Select(t => PostgresConnector.QuoteIdentifier(t.Name)).ToList();
                var keys = _keys.Select(PostgresConnector.QuoteIdentifier).ToList();
                var updates = columns.Where(c => !keys.Contains(c)).Select(c => $"{c} = EXCLUDED.{c}").ToList();
                await ExecAsync($"INSERT INTO {_table} ({string.Join(", ", columns)}) SELECT {string.Join(", ", columns)} FROM {_loadTable} " +
                                $"ON CONFLICT ({string.Join(", ", keys)}) " + (updates.Count == 0 ? "DO NOTHING" : $"DO UPDATE SET {string.Join(", ", updates)}"), ct);
            }
            await _transaction!.CommitAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState == "42P10")
        {
            throw new DataStoreException(ErrorCodes.InvalidProperty,
                $"Upsert on ({string.Join(", ", _keys)}) needs a primary key or unique constraint on exactly those columns of {_table}; add one, or use writeBehavior insert.", e);
        }
        catch (PostgresException e)
        {
            throw connector.Classify(e);
        }
    }

    private async Task ExecAsync(string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, _connection, _transaction) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(ct);
    }

    private async Task<List<(string Name, Type Type, NpgsqlDbType DbType)>> ColumnsAsync(string schema, string table, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT column_name, udt_name FROM information_schema.columns WHERE table_schema = @s AND table_name = @t " +
                                                    "ORDER BY ordinal_position", _connection, _transaction);
        command.Parameters.AddWithValue("s", schema);
        command.Parameters.AddWithValue("t", table);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var columns = new List<(string, Type, NpgsqlDbType)>();
        while (await reader.ReadAsync(ct))
        {
            var (type, dbType) = Map(reader.GetString(1))
                                 ?? throw new DataStoreException(ErrorCodes.InvalidData, $"Column '{reader.GetString(0)}' of {schema}.{table} has type {reader.GetString(1)}, which Ferry does not write yet.");
            columns.Add((reader.GetString(0), type, dbType));
        }
        return columns;
    }

    private static (Type, NpgsqlDbType)? Map(string udt) => udt switch
    {
        "int2" => (typeof(short), NpgsqlDbType.Smallint),
        "int4" => (typeof(int), NpgsqlDbType.Integer),
        "int8" => (typeof(long), NpgsqlDbType.Bigint),
        "numeric" => (typeof(decimal), NpgsqlDbType.Numeric),
        "float4" => (typeof(float), NpgsqlDbType.Real),
        "float8" => (typeof(double), NpgsqlDbType.Double),
        "bool" => (typeof(bool), NpgsqlDbType.Boolean),
        "text" or "varchar" or "bpchar" or "name" => (typeof(string), NpgsqlDbType.Text),
        "date" => (typeof(DateOnly), NpgsqlDbType.Date),
        "timestamp" => (typeof(DateTime), NpgsqlDbType.Timestamp),
        "timestamptz" => (typeof(DateTimeOffset), NpgsqlDbType.TimestampTz),
        "time" => (typeof(TimeOnly), NpgsqlDbType.Time),
        "interval" => (typeof(TimeSpan), NpgsqlDbType.Interval),
        "uuid" => (typeof(Guid), NpgsqlDbType.Uuid),
        "bytea" => (typeof(byte[]), NpgsqlDbType.Bytea),
        "json" => (typeof(string), NpgsqlDbType.Json),
        "jsonb" => (typeof(string), NpgsqlDbType.Jsonb),
        _ => null,
    };

    private static string PgTypeFor(Type type) => type switch
    {
        _ when type == typeof(short) => "smallint",
        _ when type == typeof(int) => "integer",
        _ when type == typeof(long) => "bigint",
        _ when type == typeof(decimal) => "numeric",
        _ when type == typeof(float) => "real",
        _ when type == typeof(double) => "double precision",
        _ when type == typeof(bool) => "boolean",
        _ when type == typeof(DateOnly) => "date",
        _ when type == typeof(DateTime) => "timestamp",
        _ when type == typeof(DateTimeOffset) => "timestamptz",
        _ when type == typeof(TimeOnly) => "time",
        _ when type == typeof(TimeSpan) => "interval",
        _ when type == typeof(Guid) => "uuid",
        _ when type == typeof(byte[]) => "bytea",
        _ => "text",
    };

    public async ValueTask DisposeAsync()
    {
        // Without a commit the transaction rolls back: nothing of this copy stays in the table.
        if (_importer is not null)
        {
            try
            {
                await _importer.DisposeAsync();
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                // The import was cut short; the rollback below is what matters.
            }
        }
        if (_transaction is not null)
            await _transaction.DisposeAsync();
        if (_connection is not null)
            await _connection.DisposeAsync();
    }
}
