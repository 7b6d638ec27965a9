using Ferry.Contracts.Problems;
using Ferry.Engine.Interactive;
using Npgsql;

namespace Ferry.Engine.Connectors.Postgres;

/// <summary>
/// The sink schema's record of committed loads, one row per activity run, made on first use: it is what makes a
/// re-leased or retried copy load nothing twice. Without the right to create it the copy goes on, at-least-once.
/// </summary>
internal static class CommitLedger
{
    public const string Table = "_ferry_copy_commits";

    /// <summary>The ledger's name (null: it cannot be made there) and the rows an earlier attempt of this activity run committed (null: none did).</summary>
    public static async Task<(string? Ledger, long? CommittedRows)> FindAsync(NpgsqlConnection connection, string schema, Guid activityRunId, CancellationToken ct)
    {
        var ledger = $"{PostgresConnector.QuoteIdentifier(schema)}.{PostgresConnector.QuoteIdentifier(Table)}";
        try
        {
            await using var create = new NpgsqlCommand($"CREATE TABLE IF NOT EXISTS {ledger} (activity_run_id uuid PRIMARY KEY, target text NOT NULL, " +
                                                       "rows bigint NOT NULL, committed_at timestamptz NOT NULL DEFAULT now())", connection);
            await create.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState is "42501" or "3F000")
        {
            return (null, null); // no right to create tables there (or no such schema: the load will say so)
        }
        catch (PostgresException e) when (e.SqlState is "23505" or "42P07" or "42710")
        {
            // Two copies made it at the same moment (PostgreSQL then says the table's row type, its name, or its
            // relation already exists, depending on where the two met); it is there now.
        }
        await using var find = new NpgsqlCommand($"SELECT rows FROM {ledger} WHERE activity_run_id = @id", connection);
        find.Parameters.AddWithValue("id", activityRunId);
        return (ledger, await find.ExecuteScalarAsync(ct) is long rows ? rows : null);
    }

    /// <summary>Records the load in its own transaction, and forgets loads older than a week.</summary>
    public static async Task RecordAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string ledger, Guid activityRunId, string target, long rows,
        CancellationToken ct)
    {
        await using var record = new NpgsqlCommand($"INSERT INTO {ledger} (activity_run_id, target, rows) VALUES (@id, @target, @rows); " +
                                                   $"DELETE FROM {ledger} WHERE committed_at < now() - interval '7 days'", connection, transaction);
        record.Parameters.AddWithValue("id", activityRunId);
        record.Parameters.AddWithValue("target", target);
        record.Parameters.AddWithValue("rows", rows);
        await record.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Another attempt of the same activity run recorded its load first.</summary>
    public static bool IsDuplicate(PostgresException e) => e.SqlState == "23505" && e.TableName == Table;

    public static DataStoreException CommittedByAnother(string target, PostgresException e) =>
        new(ErrorCodes.InvalidData,
            $"Another attempt of this activity run committed its load into {target} first; this attempt's rows were not written, so nothing is there twice.", e);
}
