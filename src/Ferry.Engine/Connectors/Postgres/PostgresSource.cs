using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Engine.Copy;
using Ferry.Engine.Interactive;
using Npgsql;
using NpgsqlTypes;

namespace Ferry.Engine.Connectors.Postgres;

/// <summary>
/// Reads a PostgreSQL table, or the result of <c>source.query</c>, with binary COPY: each value is read in its own type
/// into the batch's typed columns. Types Ferry has no reader for (arrays, enums, ranges, ...) are read as their text.
/// </summary>
/// <remarks>With a <paramref name="condition"/> it reads one part of a DynamicRange source.</remarks>
public sealed class PostgresSource(PostgresConnector connector, JsonObject dataset, JsonObject source, string? condition = null) : ICopySource
{
    private NpgsqlConnection? _connection;
    private NpgsqlBinaryExporter? _exporter;
    private PgColumnReader[] _readers = [];
    private bool _done;

    public long BytesRead { get; private set; }
    public int FilesRead => 0;

    public async Task<IReadOnlyList<CopyColumn>> OpenAsync(CancellationToken ct)
    {
        var sql = source["query"]?.GetValue<string>() is { Length: > 0 } query
            ? query.Trim().TrimEnd(';').TrimEnd().Replace(PostgresPartitions.Placeholder, condition ?? "true", StringComparison.Ordinal)
            : $"SELECT * FROM {Table()}" + (condition is null ? "" : $" WHERE {condition}");
        _connection = await connector.OpenAsync(ct);
        try
        {
            // The columns, without running the query: the COPY below runs it once.
            var fields = new List<(string Name, string TypeName, string Internal)>();
            await using (var command = new NpgsqlCommand(sql, _connection))
            await using (var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SchemaOnly, ct))
            {
                for (var i = 0; i < reader.FieldCount; i++)
                    fields.Add((reader.GetName(i), reader.GetDataTypeName(i), reader.GetPostgresType(i).InternalName));
            }
            _readers = fields.Select(f => PgColumnReader.For(f.Internal)).ToArray();
            if (_readers.Any(r => r.AsText))
            {
                var duplicate = fields.GroupBy(f => f.Name).FirstOrDefault(g => g.Count() > 1);
                if (duplicate is not null)
                    throw new DataStoreException(ErrorCodes.InvalidProperty,
                        $"The source query returns two columns named '{duplicate.Key}'; give each column its own name (AS ...).");
                sql = $"SELECT {string.Join(", ", fields.Select((f, i) => PostgresConnector.QuoteIdentifier(f.Name) + (_readers[i].AsText ? "::text" : "")))} FROM ({sql}) AS source";
            }
            _exporter = await _connection.BeginBinaryExportAsync($"COPY ({sql}) TO STDOUT (FORMAT BINARY)", ct);
            return fields.Select((f, i) => new CopyColumn(f.Name, _readers[i].Type, _readers[i].AsText ? "text" : f.TypeName)).ToList();
        }
        catch (PostgresException e)
        {
            throw connector.Classify(e);
        }
    }

    private string Table()
    {
        var (schema, table) = connector.TableOfDataset(dataset);
        return $"{PostgresConnector.QuoteIdentifier(schema)}.{PostgresConnector.QuoteIdentifier(table)}";
    }

    public ValueTask<bool> ReadAsync(RowBatch batch, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var exporter = _exporter!;
        var any = false;
        try
        {
            // Synchronous reads: the reading stage has its own thread, and a value already in Npgsql's buffer costs no await.
            while (!_done && !batch.IsFull)
            {
                if (exporter.StartRow() < 0)
                {
                    _done = true;
                    break;
                }
                for (var i = 0; i < _readers.Length; i++)
                    BytesRead += _readers[i].Read(exporter, batch.Columns[i], batch.Count);
                batch.Count++;
                any = true;
            }
        }
        catch (PostgresException e)
        {
            throw connector.Classify(e);
        }
        catch (InvalidCastException e)
        {
            throw new DataStoreException(ErrorCodes.InvalidData, $"Row {batch.FirstRow + batch.Count} of {connector.Endpoint} holds a value Ferry cannot read: {e.Message}", e);
        }
        return ValueTask.FromResult(any);
    }

    public async ValueTask DisposeAsync()
    {
        if (_exporter is not null)
        {
            try
            {
                await _exporter.DisposeAsync();
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                // A COPY cut short; the connection goes with it.
            }
        }
        if (_connection is not null)
            await _connection.DisposeAsync();
    }
}

/// <summary>Reads one column's values from a binary COPY into a typed column buffer; answers the bytes each counts for.</summary>
internal abstract class PgColumnReader
{
    public abstract Type Type { get; }

    /// <summary>True when the column is read as its text (a type Ferry has no reader for).</summary>
    public bool AsText { get; private init; }

    public abstract long Read(NpgsqlBinaryExporter exporter, ColumnBuffer column, int row);

    public static PgColumnReader For(string internalName) => internalName switch
    {
        "int2" => new Of<short>(NpgsqlDbType.Smallint),
        "int4" => new Of<int>(NpgsqlDbType.Integer),
        "int8" => new Of<long>(NpgsqlDbType.Bigint),
        "numeric" => new Of<decimal>(NpgsqlDbType.Numeric),
        "float4" => new Of<float>(NpgsqlDbType.Real),
        "float8" => new Of<double>(NpgsqlDbType.Double),
        "bool" => new Of<bool>(NpgsqlDbType.Boolean),
        "text" or "varchar" or "bpchar" or "name" => new Of<string>(NpgsqlDbType.Text),
        "date" => new Of<DateOnly>(NpgsqlDbType.Date),
        "time" => new Of<TimeSpan>(NpgsqlDbType.Time),
        "timestamp" => new Of<DateTime>(NpgsqlDbType.Timestamp),
        "timestamptz" => new Instant(),
        "interval" => new Of<TimeSpan>(NpgsqlDbType.Interval),
        "uuid" => new Of<Guid>(NpgsqlDbType.Uuid),
        "bytea" => new Of<byte[]>(NpgsqlDbType.Bytea),
        "json" => new Of<string>(NpgsqlDbType.Json),
        "jsonb" => new Of<string>(NpgsqlDbType.Jsonb),
        _ => new Of<string>(NpgsqlDbType.Text) { AsText = true },
    };

    private sealed class Of<T>(NpgsqlDbType dbType) : PgColumnReader
    {
        public override Type Type => typeof(T);

        public override long Read(NpgsqlBinaryExporter exporter, ColumnBuffer column, int row)
        {
            var values = (ColumnBuffer<T>)column;
            if (exporter.IsNull)
            {
                exporter.Skip();
                values.SetNull(row);
                return 0;
            }
            var value = exporter.Read<T>(dbType);
            values.Set(row, value);
            return CopyBytes.Of(value);
        }
    }

    /// <summary>timestamptz: PostgreSQL sends an instant; the copy carries it as a DateTimeOffset so it keeps meaning one.</summary>
    private sealed class Instant : PgColumnReader
    {
        public override Type Type => typeof(DateTimeOffset);

        public override long Read(NpgsqlBinaryExporter exporter, ColumnBuffer column, int row)
        {
            var values = (ColumnBuffer<DateTimeOffset>)column;
            if (exporter.IsNull)
            {
                exporter.Skip();
                values.SetNull(row);
                return 0;
            }
            values.Set(row, new DateTimeOffset(DateTime.SpecifyKind(exporter.Read<DateTime>(NpgsqlDbType.TimestampTz), DateTimeKind.Utc)));
            return 8;
        }
    }
}
