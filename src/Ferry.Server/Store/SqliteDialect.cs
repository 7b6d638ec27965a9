using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Ferry.Server.Store;

/// <summary>The embedded default: one SQLite file in the data dir, in WAL mode so readers never wait for the writer.</summary>
public sealed class SqliteDialect(string path) : SqlDialect
{
    private readonly string _connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    public override string Name => "SQLite";
    public override string AutoIncrementKey => "INTEGER PRIMARY KEY AUTOINCREMENT";
    public override DbConnection CreateConnection() => new SqliteConnection(_connectionString);

    // Pooled connections keep their native handle; pragmas are set once per handle, not on every open.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> _prepared = [];

    public override async Task PrepareConnectionAsync(DbConnection connection, CancellationToken ct)
    {
        var handle = ((SqliteConnection)connection).Handle!;
        if (_prepared.TryGetValue(handle, out _))
            return;
        await using var cmd = connection.CreateCommand();
        // busy_timeout: writers queue instead of failing with SQLITE_BUSY; synchronous=NORMAL is durable in WAL mode
        // except for the last commits before a power loss, which heartbeats can afford.
        cmd.CommandText = "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=30000; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;";
        await cmd.ExecuteNonQueryAsync(ct);
        _prepared.AddOrUpdate(handle, handle);
    }
}
