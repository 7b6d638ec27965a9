using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Engine.Interactive;
using Npgsql;

namespace Ferry.Engine.Connectors.Postgres;

/// <summary>
/// The end of a copy split over nodes into a PostgreSQL table: in one transaction, the sink's preCopyScript, the table
/// made when autoCreate asks and it is missing, every part's staging table inserted (or merged, for upsert), the
/// commit ledger's row, and the staging tables dropped. A later attempt of the commit finds the ledger row and moves
/// nothing again; a failed commit leaves the table as it was and the staging tables for the next attempt.
/// </summary>
public static class PostgresSplitCommit
{
    /// <summary>The staging table of one part: named by the activity run, so a retried run (a new activity run) starts clean.</summary>
    public static string StageTable(Guid activityRunId, int part) => $"_ferry_part_{activityRunId:N}_{part}";

    /// <summary>Moves the parts in; answers the rows committed (by this call, or by an earlier attempt of the commit).</summary>
    public static async Task<long> CommitAsync(PostgresConnector connector, JsonObject dataset, JsonObject sink, Guid activityRunId, int parts,
        IReadOnlyList<long>? partRows, Func<CancellationToken, Task> beforeCommit, CancellationToken ct)
    {
        var (schema, table) = connector.TableOfDataset(dataset);
        var target = Qualified(schema, table);
        await using var connection = await connector.OpenAsync(ct);
        try
        {
            var (ledger, committedBefore) = await CommitLedger.FindAsync(connection, schema, activityRunId, ct);
            if (committedBefore is { } rows)
            {
                await DropStagesAsync(connection, null, schema, activityRunId, parts, ct);
                return rows;
            }
            await using var transaction = await connection.BeginTransactionAsync(ct);
            if (sink["preCopyScript"]?.GetValue<string>() is { Length: > 0 } script)
                await ExecAsync(connection, transaction, script, ct);
            var stages = Enumerable.Range(0, parts).Select(p => StageTable(activityRunId, p)).ToList();
            var staged = await PostgresSink.ColumnsAsync(connection, transaction, schema, stages[0], ct);
            if (staged.Count == 0)
                throw new DataStoreException(ErrorCodes.InvalidData,
                    $"The staged rows of part 1 of {parts} ({schema}.{stages[0]}) are gone; nothing was committed. Run the copy again.");
            var existing = await PostgresSink.ColumnsAsync(connection, transaction, schema, table, ct);
            if (existing.Count == 0)
            {
                // The parts made their staging tables from the source because autoCreate was asked for.
                await ExecAsync(connection, transaction, $"CREATE TABLE {target} (LIKE {Qualified(schema, stages[0])} INCLUDING DEFAULTS)", ct);
                existing = staged;
            }
            var columns = existing.Where(t => staged.Any(s => s.Name == t.Name)).Select(t => PostgresConnector.QuoteIdentifier(t.Name)).ToList();
            var list = string.Join(", ", columns);
            var conflict = "";
            if (string.Equals(sink["writeBehavior"]?.GetValue<string>(), "upsert", StringComparison.OrdinalIgnoreCase))
            {
                var keys = (sink["upsertSettings"]?["keys"] as JsonArray ?? []).Select(k => PostgresConnector.QuoteIdentifier(k!.GetValue<string>())).ToList();
                if (keys.Count == 0)
                    throw new DataStoreException(ErrorCodes.InvalidProperty, "writeBehavior upsert needs sink.upsertSettings.keys: the columns that identify a row.");
                var updates = columns.Where(c => !keys.Contains(c)).Select(c => $"{c} = EXCLUDED.{c}").ToList();
                conflict = $" ON CONFLICT ({string.Join(", ", keys)}) " + (updates.Count == 0 ? "DO NOTHING" : $"DO UPDATE SET {string.Join(", ", updates)}");
            }
            long committed = 0;
            for (var p = 0; p < parts; p++)
            {
                await using var insert = new NpgsqlCommand($"INSERT INTO {target} ({list}) SELECT {list} FROM {Qualified(schema, stages[p])}{conflict}",
                    connection, transaction) { CommandTimeout = 0 };
                try
                {
                    // An upsert may touch fewer rows than it was given (DO NOTHING): its staging is counted first.
                    var stagedRows = conflict.Length == 0 ? -1 : await CountAsync(connection, transaction, Qualified(schema, stages[p]), ct);
                    var inserted = await insert.ExecuteNonQueryAsync(ct);
                    var found = stagedRows < 0 ? inserted : stagedRows;
                    if (partRows is { } expected && p < expected.Count && found != expected[p])
                        throw new DataStoreException(ErrorCodes.InvalidData,
                            $"Part {p + 1} of {parts} copied {expected[p]} rows, but {found} are staged in {schema}.{stages[p]} " +
                            "(a PostgreSQL restart empties staging tables, which are unlogged); nothing was committed. Run the copy again.");
                    committed += inserted;
                }
                catch (PostgresException e) when (e.SqlState == "42P01")
                {
                    throw new DataStoreException(ErrorCodes.InvalidData,
                        $"The staged rows of part {p + 1} of {parts} ({schema}.{stages[p]}) are gone; nothing was committed. Run the copy again.", e);
                }
            }
            if (ledger is not null)
                await CommitLedger.RecordAsync(connection, transaction, ledger, activityRunId, target, committed, ct);
            await DropStagesAsync(connection, transaction, schema, activityRunId, parts, ct);
            // The lease is confirmed last, just before the one commit that makes the rows visible.
            await beforeCommit(ct);
            await transaction.CommitAsync(ct);
            return committed;
        }
        catch (PostgresException e) when (CommitLedger.IsDuplicate(e))
        {
            throw CommitLedger.CommittedByAnother(target, e);
        }
        catch (PostgresException e) when (e.SqlState == "42P10")
        {
            throw new DataStoreException(ErrorCodes.InvalidProperty,
                $"Upsert needs a primary key or unique constraint on exactly upsertSettings.keys of {target}; add one, or use writeBehavior insert.", e);
        }
        catch (PostgresException e)
        {
            throw connector.Classify(e);
        }
    }

    private static async Task<long> CountAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string table, CancellationToken ct)
    {
        await using var count = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection, transaction) { CommandTimeout = 0 };
        return (long)(await count.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Drops what the parts of a failed split copy staged.</summary>
    public static async Task DiscardAsync(PostgresConnector connector, JsonObject dataset, Guid activityRunId, int parts, CancellationToken ct)
    {
        var (schema, _) = connector.TableOfDataset(dataset);
        await using var connection = await connector.OpenAsync(ct);
        try
        {
            await DropStagesAsync(connection, null, schema, activityRunId, parts, ct);
        }
        catch (PostgresException e)
        {
            throw connector.Classify(e);
        }
    }

    private static async Task DropStagesAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string schema, Guid activityRunId, int parts,
        CancellationToken ct)
    {
        if (parts == 0)
            return;
        var tables = string.Join(", ", Enumerable.Range(0, parts).Select(p => Qualified(schema, StageTable(activityRunId, p))));
        await ExecAsync(connection, transaction, $"DROP TABLE IF EXISTS {tables}", ct);
    }

    private static string Qualified(string schema, string table) => $"{PostgresConnector.QuoteIdentifier(schema)}.{PostgresConnector.QuoteIdentifier(table)}";

    private static async Task ExecAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(ct);
    }
}
