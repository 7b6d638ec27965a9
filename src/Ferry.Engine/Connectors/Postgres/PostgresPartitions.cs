using System.Globalization;
using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Engine.Interactive;
using Npgsql;

namespace Ferry.Engine.Connectors.Postgres;

/// <summary>
/// ADF's <c>partitionOption: DynamicRange</c> for a PostgreSQL source: the rows split into ranges of an integer column,
/// each read by its own connection at once. The bounds (given, or the column's min and max) only set the ranges' width:
/// the first range also takes everything below and the NULLs, the last everything above, so every row is read once.
/// </summary>
public static class PostgresPartitions
{
    public const string Placeholder = "?AdfDynamicRangePartitionCondition";

    /// <summary>The WHERE conditions of the parts, one per parallel copy (one part, with no condition, when the source is not partitioned).</summary>
    public static async Task<IReadOnlyList<string?>> PlanAsync(PostgresConnector connector, JsonObject dataset, JsonObject source, int parallelCopies, CancellationToken ct)
    {
        if (!string.Equals(source["partitionOption"]?.GetValue<string>(), "DynamicRange", StringComparison.OrdinalIgnoreCase))
            return [null];
        var settings = source["partitionSettings"] as JsonObject ?? [];
        var query = source["query"]?.GetValue<string>() is { Length: > 0 } q ? q : null;
        if (query is not null && !query.Contains(Placeholder, StringComparison.Ordinal))
            throw new DataStoreException(ErrorCodes.InvalidProperty,
                $"A DynamicRange source query must say where each part's condition goes: add 'WHERE {Placeholder}' (or 'AND {Placeholder}').");
        await using var connection = await connector.OpenAsync(ct);
        var column = settings["partitionColumnName"]?.GetValue<string>() is { Length: > 0 } named ? named
            : query is null ? await PrimaryKeyAsync(connection, connector, dataset, ct)
            : throw new DataStoreException(ErrorCodes.InvalidProperty, "A DynamicRange source query needs partitionSettings.partitionColumnName: an integer column to split on.");
        var quoted = PostgresConnector.QuoteIdentifier(column);
        var lower = Bound(settings, "partitionLowerBound");
        var upper = Bound(settings, "partitionUpperBound");
        if (lower is null || upper is null)
        {
            var from = query is null ? Table(connector, dataset) : $"({query.Replace(Placeholder, "true", StringComparison.Ordinal)}) AS source";
            try
            {
                await using var command = new NpgsqlCommand($"SELECT min({quoted})::bigint, max({quoted})::bigint FROM {from}", connection) { CommandTimeout = 0 };
                await using var reader = await command.ExecuteReaderAsync(ct);
                await reader.ReadAsync(ct);
                lower ??= reader.IsDBNull(0) ? 0 : reader.GetInt64(0);
                upper ??= reader.IsDBNull(1) ? 0 : reader.GetInt64(1);
            }
            catch (PostgresException e) when (e.SqlState is "42883" or "22P02" or "42846")
            {
                throw new DataStoreException(ErrorCodes.InvalidProperty, $"The partition column '{column}' is not an integer column; DynamicRange splits on integers.", e);
            }
            catch (PostgresException e)
            {
                throw connector.Classify(e);
            }
        }
        var parts = (int)Math.Max(1, Math.Min(parallelCopies, (decimal)upper.Value - lower.Value + 1));
        var width = ((decimal)upper.Value - lower.Value + 1) / parts;
        var conditions = new List<string?>();
        for (var i = 0; i < parts; i++)
        {
            var start = (long)Math.Ceiling(lower.Value + i * width);
            var end = (long)Math.Ceiling(lower.Value + (i + 1) * width);
            conditions.Add((i == 0, i == parts - 1) switch
            {
                (true, true) => "true",
                (true, false) => $"({quoted} < {end} OR {quoted} IS NULL)",
                (false, true) => $"{quoted} >= {start}",
                _ => $"{quoted} >= {start} AND {quoted} < {end}",
            });
        }
        return conditions;
    }

    private static long? Bound(JsonObject settings, string name) => settings[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<long>(out var n) => n,
        JsonValue v when v.TryGetValue<string>(out var s) && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
        var other => throw new DataStoreException(ErrorCodes.InvalidProperty, $"partitionSettings.{name} '{other.ToJsonString()}' is not an integer."),
    };

    private static string Table(PostgresConnector connector, JsonObject dataset)
    {
        var (schema, table) = connector.TableOfDataset(dataset);
        return $"{PostgresConnector.QuoteIdentifier(schema)}.{PostgresConnector.QuoteIdentifier(table)}";
    }

    /// <summary>Without a partition column, ADF splits a table on its primary key: here, when that key is one integer column.</summary>
    private static async Task<string> PrimaryKeyAsync(NpgsqlConnection connection, PostgresConnector connector, JsonObject dataset, CancellationToken ct)
    {
        var (schema, table) = connector.TableOfDataset(dataset);
        await using var command = new NpgsqlCommand(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) " +
            "WHERE i.indrelid = to_regclass(@t) AND i.indisprimary", connection);
        command.Parameters.AddWithValue("t", $"{PostgresConnector.QuoteIdentifier(schema)}.{PostgresConnector.QuoteIdentifier(table)}");
        var keys = new List<(string Name, string Type)>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                keys.Add((reader.GetString(0), reader.GetString(1)));
        }
        return keys is [{ Type: "smallint" or "integer" or "bigint" } key]
            ? key.Name
            : throw new DataStoreException(ErrorCodes.InvalidProperty,
                $"{schema}.{table} has no single-column integer primary key to split on; set partitionSettings.partitionColumnName.");
    }
}
