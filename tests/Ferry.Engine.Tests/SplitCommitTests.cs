using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Engine.Access;
using Ferry.Engine.Connectors.Postgres;
using Ferry.Engine.Interactive;
using Npgsql;

namespace Ferry.Engine.Tests;

/// <summary>The commit of a copy split over nodes into a PostgreSQL table, against a real PostgreSQL.</summary>
public sealed class SplitCommitTests : IAsyncLifetime
{
    private readonly string _database = "split_" + Guid.NewGuid().ToString("N")[..8];
    private readonly NpgsqlConnectionStringBuilder _admin = Sql.Admin();
    private readonly Guid _activityRun = Guid.NewGuid();
    private string Db => new NpgsqlConnectionStringBuilder(_admin.ConnectionString) { Database = _database }.ConnectionString;

    public async Task InitializeAsync()
    {
        await Sql.ExecAsync(_admin.ConnectionString, $"CREATE DATABASE {_database}");
        await Sql.ExecAsync(Db, "CREATE TABLE dst (id bigint, v text)", "INSERT INTO dst VALUES (0, 'before')");
        // What two parts staged (as PostgresSink's part mode makes them): 3 rows and 5.
        foreach (var (part, from, to) in new[] { (0, 1, 3), (1, 4, 8) })
            await Sql.ExecAsync(Db, $"CREATE UNLOGGED TABLE {PostgresSplitCommit.StageTable(_activityRun, part)} (LIKE dst)",
                $"INSERT INTO {PostgresSplitCommit.StageTable(_activityRun, part)} SELECT g, 'row ' || g FROM generate_series({from}, {to}) g");
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await Sql.ExecAsync(_admin.ConnectionString, $"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
    }

    private Task<long> CommitAsync(IReadOnlyList<long> partRows)
    {
        var context = Support.Context(NodeAccessPolicy.Default with { LocalMachineAccess = true });
        var connector = new PostgresConnector(LinkedServiceSettings.From(Stores.Postgres(_admin, _database), context), context);
        var dataset = new JsonObject { ["type"] = "PostgreSqlV2Table", ["typeProperties"] = new JsonObject { ["table"] = "dst" } };
        return PostgresSplitCommit.CommitAsync(connector, dataset, new JsonObject(), _activityRun, 2, partRows, _ => Task.CompletedTask, default);
    }

    private Task<long> StagingTablesAsync() => Sql.ScalarAsync(Db, "SELECT count(*) FROM pg_tables WHERE tablename LIKE '\\_ferry\\_part\\_%'");

    [Fact]
    public async Task Every_part_moves_in_in_one_transaction_and_its_staging_goes()
    {
        Assert.Equal(8, await CommitAsync([3, 5]));
        Assert.Equal(9, await Sql.ScalarAsync(Db, "SELECT count(*) FROM dst"));
        Assert.Equal(0, await StagingTablesAsync());
        Assert.Equal(8, await CommitAsync([3, 5])); // a second attempt finds the ledger's record and moves nothing again
        Assert.Equal(9, await Sql.ScalarAsync(Db, "SELECT count(*) FROM dst"));
    }

    [Fact]
    public async Task Staging_that_lost_rows_a_part_reported_commits_nothing_and_says_so()
    {
        // As after a PostgreSQL crash, which empties unlogged tables.
        await Sql.ExecAsync(Db, $"TRUNCATE {PostgresSplitCommit.StageTable(_activityRun, 1)}");

        var e = await Assert.ThrowsAsync<DataStoreException>(() => CommitAsync([3, 5]));

        Assert.StartsWith("Part 2 of 2 copied 5 rows, but 0 are staged in public._ferry_part_", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("nothing was committed. Run the copy again.", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, await Sql.ScalarAsync(Db, "SELECT count(*) FROM dst"));
        Assert.Equal(2, await StagingTablesAsync());
    }
}
