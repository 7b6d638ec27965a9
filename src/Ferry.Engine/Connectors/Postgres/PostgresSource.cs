using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Engine.Copy;
using Ferry.Engine.Interactive;
using Npgsql;
using Ferry.Engine.Connectors.Postgres.BinaryCopy;

namespace Ferry.Engine.Connectors.Postgres;

/// <summary>
/// Reads a PostgreSQL table, or the result of <c>source.query</c>, with binary COPY: each value is read in its own type
/// into the batch's typed columns. Types Ferry has no reader for (arrays, enums, ranges, ...) are read as their text.
/// </summary>
/// <remarks>With a <paramref name="condition"/> it reads one part of a DynamicRange source.</remarks>
public sealed class PostgresSource(PostgresConnector connector, JsonObject dataset, JsonObject source, string? condition = null) : ICopySource
{
    private NpgsqlConnection? _connection;
    private Stream? _copy;
    private BinaryCopyReader? _reader;

    public long BytesRead => _reader?.BytesRead ?? 0;
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
            var decoders = fields.Select(f => BinaryDecoder.For(f.Internal, f.Name) ?? BinaryDecoder.For("text", f.Name)!).ToList();
            var asText = fields.Select(f => BinaryDecoder.For(f.Internal, f.Name) is null).ToArray();
            if (asText.Any(t => t))
            {
                var duplicate = fields.GroupBy(f => f.Name).FirstOrDefault(g => g.Count() > 1);
                if (duplicate is not null)
                    throw new DataStoreException(ErrorCodes.InvalidProperty,
                        $"The source query returns two columns named '{duplicate.Key}'; give each column its own name (AS ...).");
                sql = $"SELECT {string.Join(", ", fields.Select((f, i) => PostgresConnector.QuoteIdentifier(f.Name) + (asText[i] ? "::text" : "")))} FROM ({sql}) AS source";
            }
            _copy = await _connection.BeginRawBinaryCopyAsync($"COPY ({sql}) TO STDOUT (FORMAT BINARY)", ct);
            _reader = new BinaryCopyReader(_copy, decoders, connector.Endpoint);
            return fields.Select((f, i) => new CopyColumn(f.Name, decoders[i].Type, asText[i] ? "text" : f.TypeName)).ToList();
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
        try
        {
            // Synchronous reads: the reading stage has its own thread, and most rows are already in the buffer.
            return ValueTask.FromResult(_reader!.Read(batch));
        }
        catch (PostgresException e)
        {
            throw connector.Classify(e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_copy is not null)
        {
            try
            {
                await _copy.DisposeAsync();
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
