using Npgsql;

namespace Ferry.Engine.Tests;

/// <summary>The test PostgreSQL that ./scripts/test starts: its admin connection, and statements run on it.</summary>
internal static class Sql
{
    public static NpgsqlConnectionStringBuilder Admin() => new(Environment.GetEnvironmentVariable("FERRY_TEST_POSTGRES")
        ?? throw new InvalidOperationException("FERRY_TEST_POSTGRES is not set; run the tests with ./scripts/test, which starts PostgreSQL."));

    public static async Task ExecAsync(string connectionString, params string[] statements)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        foreach (var sql in statements)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    /// <summary>
    /// The statements that make <paramref name="table"/>: every common type, a NULL in every column but id in every fifth
    /// row, text with quotes, commas, a line break, emoji and the empty string; <paramref name="interval"/> adds an interval column.
    /// </summary>
    public static string[] EveryTypeTable(string table, int rows, bool interval) =>
    [
        $"CREATE TABLE {table} (id int PRIMARY KEY, small smallint, big bigint, amount numeric(38,10), r real, d double precision, flag boolean, " +
        $"note text, day date, at timestamp, at_tz timestamptz, t time, {(interval ? "span interval, " : "")}u uuid, raw bytea, doc jsonb)",
        $"INSERT INTO {table} SELECT g, (g % 300)::smallint, g * 1000000007::bigint, (g * 1.0123456789)::numeric(38,10), g / 3.0, g / 7.0, g % 2 = 0, " +
        "CASE g % 5 WHEN 0 THEN NULL WHEN 1 THEN 'quote \" comma , newline' || chr(10) || 'end' WHEN 2 THEN 'émoji 🚀' WHEN 3 THEN '' ELSE 'plain ' || (g % 7) END, " +
        "date '2026-01-01' + g, timestamp '2026-01-01 00:00:00.123456' + g * interval '1 minute', timestamptz '2026-01-01 00:00:00+02' + g * interval '1 second', " +
        $"time '12:34:56.789', {(interval ? "g * interval '1 hour', " : "")}md5(g::text)::uuid, decode(lpad(to_hex(g), 8, '0'), 'hex'), jsonb_build_object('g', g) " +
        $"FROM generate_series(1, {rows}) g",
    ];

    public static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }
}
