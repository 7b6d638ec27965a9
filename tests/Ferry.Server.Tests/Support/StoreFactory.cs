using Ferry.Server.Store;
using Npgsql;

namespace Ferry.Server.Tests.Support;

/// <summary>Makes an empty, migrated store of either kind for one test.</summary>
public static class StoreFactory
{
    public const string PostgresVariable = "FERRY_TEST_POSTGRES";

    public static async Task<IFerryStore> SqliteAsync()
    {
        var dir = Directory.CreateTempSubdirectory("ferry-store-");
        var store = new SqlFerryStore(new SqliteDialect(Path.Combine(dir.FullName, "ferry.db")));
        await store.MigrateAsync(CancellationToken.None);
        return store;
    }

    /// <summary>A fresh database on the test PostgreSQL server that scripts/test starts; fails loudly when there is none.</summary>
    public static async Task<IFerryStore> PostgresAsync()
    {
        var admin = Environment.GetEnvironmentVariable(PostgresVariable);
        if (string.IsNullOrEmpty(admin))
            throw new InvalidOperationException(
                $"{PostgresVariable} is not set. Run the tests with ./scripts/test, which installs and starts PostgreSQL, " +
                $"or set {PostgresVariable} to a connection string of a server where this user may CREATE DATABASE.");
        var name = "ferry_test_" + Guid.NewGuid().ToString("N")[..12];
        await using (var conn = new NpgsqlConnection(admin))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        var store = new SqlFerryStore(new PostgresDialect(new NpgsqlConnectionStringBuilder(admin) { Database = name }.ToString()));
        await store.MigrateAsync(CancellationToken.None);
        return store;
    }
}
