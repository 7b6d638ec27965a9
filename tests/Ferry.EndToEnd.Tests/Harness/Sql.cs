using Npgsql;

namespace Ferry.EndToEnd.Tests.Harness;

/// <summary>The test PostgreSQL that ./scripts/test starts: its admin connection, and statements run on it.</summary>
public static class Sql
{
    public static NpgsqlConnectionStringBuilder Admin() => new(Environment.GetEnvironmentVariable("FERRY_TEST_POSTGRES")
        ?? throw new InvalidOperationException("FERRY_TEST_POSTGRES is not set; run the tests with ./scripts/test, which starts PostgreSQL."));

    public static async Task ExecAsync(string connectionString, params string[] statements)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        foreach (var sql in statements)
        {
            await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
            await command.ExecuteNonQueryAsync();
        }
    }

    public static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }
}
