using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Engine.Copy;
using Ferry.Engine.Interactive;
using Npgsql;
using NpgsqlTypes;

namespace Ferry.Engine.Connectors.Postgres;

/// <summary>
/// Writes into a PostgreSQL table with binary COPY, inside one transaction that commits only at the end: a failed or
/// cancelled copy leaves the table as it was. <c>preCopyScript</c> runs in the same transaction; <c>tableOption:
/// autoCreate</c> creates a missing table from the source's columns; <c>writeBehavior: upsert</c> loads a staging
/// table and merges on <c>upsertSettings.keys</c>.
/// </summary>
/// <remarks>
/// As one <paramref name="part"/> of a copy split over nodes it loads, in one transaction, a staging table of its own
/// (<see cref="PostgresSplitCommit.StageTable"/>) that replaces whatever an earlier attempt of the part left there; the
/// script, the merge and the commit ledger are then the split commit's, which moves every part in at once.
/// </remarks>
public sealed class PostgresSink(PostgresConnector connector, JsonObject dataset, JsonObject sink, Guid activityRunId, int? part = null) : ICopySink
{
    private NpgsqlConnection? _connection;
    private NpgsqlTransaction? _transaction;
    private NpgsqlBinaryImporter? _importer;
    private (string Name, Type Type, NpgsqlDbType DbType, int Source)[] _targets = [];
    private string _table = "";
    private string _loadTable = "";
    private List<string> _keys = [];
    private PgColumnWriter[] _writers = [];

    public long BytesWritten { get; private set; }
    public int FilesWritten => 0;

    public async Task<IReadOnlyList<Type>> OpenAsync(IReadOnlyList<CopyColumn> columns, CancellationToken ct)
    {
        var (schema, table) = connector.TableOfDataset(dataset);
        _table = $"{PostgresConnector.QuoteIdentifier(schema)}.{PostgresConnector.QuoteIdentifier(table)}";
        _connection = await connector.OpenAsync(ct);
        if (part is null)
        {
            (_ledger, CommittedBefore) = await CommitLedger.FindAsync(_connection, schema, activityRunId, ct);
            if (CommittedBefore is not null)
                return columns.Select(c => c.Type).ToList();
        }
        _transaction = await _connection.BeginTransactionAsync(ct);
        try
        {
            if (part is null && sink["preCopyScript"]?.GetValue<string>() is { Length: > 0 } script)
                await ExecAsync(script, ct);
            var existing = await ColumnsAsync(schema, table, ct);
            if (part is { } index)
            {
                // The part's own staging table, made again whole: shaped like the table, or, when autoCreate will make
                // the table at the commit, like the source. Unlogged: the rows are written once to the log, by the commit;
                // a PostgreSQL crash empties it, which the commit notices by the rows each part reported.
                if (existing.Count == 0)
                    RequireAutoCreate(schema, table);
                var stage = PostgresSplitCommit.StageTable(activityRunId, index);
                _table = $"{PostgresConnector.QuoteIdentifier(schema)}.{PostgresConnector.QuoteIdentifier(stage)}";
                await ExecAsync($"DROP TABLE IF EXISTS {_table}", ct);
                await ExecAsync(existing.Count == 0
                    ? $"CREATE UNLOGGED TABLE {_table} ({ColumnDefinitions(columns)})"
                    : $"CREATE UNLOGGED TABLE {_table} (LIKE {PostgresConnector.QuoteIdentifier(schema)}.{PostgresConnector.QuoteIdentifier(table)} INCLUDING DEFAULTS)", ct);
                existing = await ColumnsAsync(schema, stage, ct);
            }
            else if (existing.Count == 0)
            {
                RequireAutoCreate(schema, table);
                await ExecAsync($"CREATE TABLE {_table} ({ColumnDefinitions(columns)})", ct);
                existing = await ColumnsAsync(schema, table, ct);
            }
            _targets = existing.Select(t => (t.Name, t.Type, t.DbType, Source: IndexOf(columns, t.Name))).Where(t => t.Source >= 0).ToArray();
            var unmatched = columns.Where(c => existing.All(t => !t.Name.Equals(c.Name, StringComparison.OrdinalIgnoreCase))).Select(c => c.Name).ToList();
            if (unmatched.Count > 0)
                throw new DataStoreException(ErrorCodes.InvalidData,
                    $"The sink table {schema}.{table} has no column(s) {string.Join(", ", unmatched)}; add them, or map the columns (translator).");

            _loadTable = _table;
            if (part is null && string.Equals(sink["writeBehavior"]?.GetValue<string>(), "upsert", StringComparison.OrdinalIgnoreCase))
            {
                _keys = (sink["upsertSettings"]?["keys"] as JsonArray ?? []).Select(k => k!.GetValue<string>()).ToList();
                if (_keys.Count == 0)
                    throw new DataStoreException(ErrorCodes.InvalidProperty, "writeBehavior upsert needs sink.upsertSettings.keys: the columns that identify a row.");
                _loadTable = "ferry_upsert_stage";
                await ExecAsync($"CREATE TEMP TABLE {_loadTable} (LIKE {_table} INCLUDING DEFAULTS) ON COMMIT DROP", ct);
            }
            var columnList = string.Join(", ", _targets.Select(t => PostgresConnector.QuoteIdentifier(t.Name)));
            _importer = await _connection.BeginBinaryImportAsync($"COPY {_loadTable} ({columnList}) FROM STDIN (FORMAT BINARY)", ct);
            _writers = _targets.Select(t => PgColumnWriter.For(t.Type, t.DbType)).ToArray();
            // Each source column arrives as its table column's type.
            return columns.Select(c => _targets.First(t => t.Name.Equals(c.Name, StringComparison.OrdinalIgnoreCase)).Type).ToList();
        }
        catch (PostgresException e)
        {
            throw connector.Classify(e);
        }
    }

    private void RequireAutoCreate(string schema, string table)
    {
        if (!string.Equals(sink["tableOption"]?.GetValue<string>(), "autoCreate", StringComparison.OrdinalIgnoreCase))
            throw new DataStoreException(ErrorCodes.TableNotFound,
                $"The sink table {schema}.{table} does not exist at {connector.Endpoint}; create it, or set sink.tableOption: \"autoCreate\".");
    }

    private static string ColumnDefinitions(IReadOnlyList<CopyColumn> columns) =>
        string.Join(", ", columns.Select(c => $"{PostgresConnector.QuoteIdentifier(c.Name)} {c.PostgresType ?? PgTypeFor(c.Type)}"));

    private static int IndexOf(IReadOnlyList<CopyColumn> columns, string name)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            if (columns[i].Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                return i;
        }
        return -1;
    }

    public ValueTask WriteAsync(RowBatch batch, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var importer = _importer!;
        try
        {
            // Synchronous writes: the writing stage has its own thread, and Npgsql buffers the rows.
            for (var r = 0; r < batch.Count; r++)
            {
                importer.StartRow();
                for (var i = 0; i < _writers.Length; i++)
                    BytesWritten += _writers[i].Write(importer, batch.Columns[_targets[i].Source], r);
            }
        }
        catch (PostgresException e)
        {
            throw connector.Classify(e);
        }
        return ValueTask.CompletedTask;
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
            // Recorded in the load's own transaction: a later attempt of this activity run finds it and loads nothing.
            if (_ledger is not null)
                await CommitLedger.RecordAsync(_connection!, _transaction!, _ledger, activityRunId, _table, (long)imported, ct);
            await _transaction!.CommitAsync(ct);
        }
        catch (PostgresException e) when (CommitLedger.IsDuplicate(e))
        {
            throw CommitLedger.CommittedByAnother(_table, e);
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

    private string? _ledger;

    /// <summary>Rows an earlier attempt of this activity run already committed here; null when none did (the usual case).</summary>
    public long? CommittedBefore { get; private set; }

    private async Task ExecAsync(string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, _connection, _transaction) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(ct);
    }

    private Task<List<(string Name, Type Type, NpgsqlDbType DbType)>> ColumnsAsync(string schema, string table, CancellationToken ct) =>
        ColumnsAsync(_connection!, _transaction, schema, table, ct);

    internal static async Task<List<(string Name, Type Type, NpgsqlDbType DbType)>> ColumnsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction,
        string schema, string table, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT column_name, udt_name FROM information_schema.columns WHERE table_schema = @s AND table_name = @t " +
                                                    "ORDER BY ordinal_position", connection, transaction);
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

    internal static (Type, NpgsqlDbType)? Map(string udt) => udt switch
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

/// <summary>Writes one column's value from a typed column buffer into a binary COPY; answers the bytes it counts for.</summary>
internal abstract class PgColumnWriter
{
    public abstract long Write(NpgsqlBinaryImporter importer, ColumnBuffer column, int row);

    public static PgColumnWriter For(Type type, NpgsqlDbType dbType) => dbType switch
    {
        // Npgsql takes timestamptz as a UTC DateTime and timestamp as an unspecified one.
        NpgsqlDbType.TimestampTz => new As<DateTimeOffset, DateTime>(dbType, v => v.UtcDateTime),
        NpgsqlDbType.Timestamp => new As<DateTime, DateTime>(dbType, v => DateTime.SpecifyKind(v, DateTimeKind.Unspecified)),
        _ => (PgColumnWriter)Activator.CreateInstance(typeof(As<,>).MakeGenericType(type, type), dbType, null)!,
    };

    /// <summary>Values of type <typeparamref name="T"/>, written as <typeparamref name="TWritten"/> (the same unless Npgsql wants another form).</summary>
    private sealed class As<T, TWritten>(NpgsqlDbType dbType, Func<T, TWritten>? convert) : PgColumnWriter
    {
        public override long Write(NpgsqlBinaryImporter importer, ColumnBuffer column, int row)
        {
            var values = (ColumnBuffer<T>)column;
            if (values.Nulls[row])
            {
                importer.WriteNull();
                return 0;
            }
            var value = values.Values[row];
            if (convert is null)
                importer.Write(value, dbType);
            else
                importer.Write(convert(value), dbType);
            return CopyBytes.Of(value);
        }
    }
}
