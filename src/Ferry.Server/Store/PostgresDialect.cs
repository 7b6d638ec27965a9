using System.Data.Common;
using Npgsql;

namespace Ferry.Server.Store;

/// <summary>The production store: a PostgreSQL database given by connection string, shareable by several server instances.</summary>
public sealed class PostgresDialect(string connectionString) : SqlDialect, IDisposable
{
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(connectionString);

    public override string Name => "PostgreSQL";
    public override string AutoIncrementKey => "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY";
    public override DbConnection CreateConnection() => _dataSource.CreateConnection();

    public override async Task LockForMigrationAsync(DbConnection connection, DbTransaction tx, CancellationToken ct)
    {
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT pg_advisory_xact_lock(7310452113)";
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public void Dispose() => _dataSource.Dispose();
}
