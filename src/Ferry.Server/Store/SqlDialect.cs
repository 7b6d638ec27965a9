using System.Data.Common;

namespace Ferry.Server.Store;

/// <summary>What differs between the two databases: how to connect and how an auto-numbered key is declared.</summary>
public abstract class SqlDialect
{
    public abstract string Name { get; }
    public abstract DbConnection CreateConnection();
    public abstract string AutoIncrementKey { get; }
    /// <summary>Runs once per opened connection (SQLite needs its pragmas).</summary>
    public virtual Task PrepareConnectionAsync(DbConnection connection, CancellationToken ct) => Task.CompletedTask;
    /// <summary>Serializes migrations across server instances sharing one database.</summary>
    public virtual Task LockForMigrationAsync(DbConnection connection, DbTransaction tx, CancellationToken ct) => Task.CompletedTask;
}
