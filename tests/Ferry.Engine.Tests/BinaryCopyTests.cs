using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Engine.Access;
using Ferry.Engine.Connectors.Postgres;
using Ferry.Engine.Copy;
using Ferry.Engine.Interactive;
using Npgsql;

namespace Ferry.Engine.Tests;

/// <summary>
/// Ferry's reader of PostgreSQL's binary COPY against Npgsql's own decoding of the same rows (an implementation Ferry
/// did not write): edge values of every type it decodes, values larger than its buffer, and what .NET cannot hold.
/// </summary>
public sealed class BinaryCopyTests : IAsyncLifetime
{
    private readonly string _database = "binary_" + Guid.NewGuid().ToString("N")[..8];
    private readonly NpgsqlConnectionStringBuilder _admin = Sql.Admin();
    private string Db => new NpgsqlConnectionStringBuilder(_admin.ConnectionString) { Database = _database }.ConnectionString;

    public async Task InitializeAsync() => await Sql.ExecAsync(_admin.ConnectionString, $"CREATE DATABASE {_database}");

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await Sql.ExecAsync(_admin.ConnectionString, $"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
    }

    private PostgresConnector Connector()
    {
        var linked = Stores.Postgres(_admin, _database);
        var context = Support.Context(NodeAccessPolicy.Default with { LocalMachineAccess = true });
        return new PostgresConnector(LinkedServiceSettings.From(linked, context), context);
    }

    private async Task<(List<CopyColumn> Columns, List<object?[]> Rows)> ReadWithFerryAsync(string query)
    {
        await using var source = new PostgresSource(Connector(), new JsonObject(), new JsonObject { ["query"] = query });
        var columns = (await source.OpenAsync(default)).ToList();
        var rows = new List<object?[]>();
        var batch = new RowBatch(columns.Select(c => c.Type).ToList(), 100);
        while (true)
        {
            batch.Reset(rows.Count + 1);
            if (!await source.ReadAsync(batch, default))
                break;
            for (var r = 0; r < batch.Count; r++)
                rows.Add(batch.RowValues(r));
        }
        return (columns, rows);
    }

    private async Task<List<object?[]>> ReadWithNpgsqlAsync(string query, IReadOnlyList<CopyColumn> columns)
    {
        await using var connection = new NpgsqlConnection(Db);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(query, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<object?[]>();
        while (await reader.ReadAsync())
        {
            rows.Add(columns.Select((c, i) => reader.IsDBNull(i) ? null
                : c.Type == typeof(DateTimeOffset) ? new DateTimeOffset(reader.GetFieldValue<DateTime>(i))
                : c.Type == typeof(DateOnly) ? reader.GetFieldValue<DateOnly>(i)
                : c.Type == typeof(string) ? reader.GetFieldValue<string>(i)
                : reader.GetValue(i)).ToArray());
        }
        return rows;
    }

    [Fact]
    public async Task Every_decoded_type_reads_as_npgsql_reads_it_including_edge_values()
    {
        await Sql.ExecAsync(Db,
            "CREATE TABLE edge (k int, s smallint, i int, b bigint, n numeric, n38 numeric(38,10), r real, d double precision, f boolean, t text, " +
            "v varchar(10), c char(3), j json, jb jsonb, dt date, ts timestamp, tz timestamptz, tm time, iv interval, u uuid, raw bytea)",
            "INSERT INTO edge VALUES " +
            "(1, -32768, -2147483648, -9223372036854775808, 0, 0, 'NaN', '-Infinity', false, '', '', 'a', 'null', '[]', '-infinity', '-infinity', 'infinity', '00:00', '-1 day -00:00:00.000001', '00000000-0000-0000-0000-000000000000', '')," +
            "(2, 32767, 2147483647, 9223372036854775807, 1.2300, 1234567890123456789.0123456789, 3.4e38, 1.7976931348623157e308, true, 'émoji 🚀 \"q\" ,\n', 'ten chars!', 'xyz', '{\"a\": [1, 2.50]}', '{\"b\": {\"c\": null}}', '2026-11-22', '1999-12-31 23:59:59.999999', '2000-01-01 00:00:00+14', '23:59:59.999999', '3 days 04:05:06.7', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x00ff10')," +
            "(3, 0, 0, 0, -0.0001, -999999999999999999.9999999999, -1.5e-45, 5e-324, NULL, repeat('long ', 120000), NULL, NULL, NULL, NULL, '0001-01-01', '1900-01-01 12:00', '1969-07-20 20:17:40-05', NULL, '-00:00:01', NULL, decode(repeat('ab', 400000), 'hex'))," +
            "(4, NULL, NULL, NULL, 79228162514264337593543950335, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
            "INSERT INTO edge (k, n, t, b) SELECT 10 + g, g * 0.001, md5(g::text), g FROM generate_series(1, 20000) g");
        const string query = "SELECT * FROM edge ORDER BY k";

        var (columns, ours) = await ReadWithFerryAsync(query);
        var theirs = await ReadWithNpgsqlAsync(query, columns);

        Assert.Equal(theirs.Count, ours.Count);
        for (var r = 0; r < ours.Count; r++)
        {
            for (var c = 0; c < columns.Count; c++)
            {
                var (a, b) = (theirs[r][c], ours[r][c]);
                if (a is decimal m)
                    Assert.Equal(m.ToString(System.Globalization.CultureInfo.InvariantCulture), ((decimal)b!).ToString(System.Globalization.CultureInfo.InvariantCulture));
                else
                    Assert.True(Equals(a, b) || (a is byte[] x && b is byte[] y && x.AsSpan().SequenceEqual(y)),
                        $"row {r + 1}, column {columns[c].Name}: Npgsql read {a ?? "NULL"}, Ferry read {b ?? "NULL"}");
            }
        }
    }

    [Theory]
    [InlineData("SELECT 'NaN'::numeric AS n", "NaN")]
    [InlineData("SELECT 1e30::numeric AS n", "beyond")]
    [InlineData("SELECT 0.1234567890123456789012345678901::numeric AS n", "31 decimal places")]
    [InlineData("SELECT interval '1 month' AS n", "months")]
    public async Task A_value_dotnet_cannot_hold_fails_naming_the_column_and_why(string query, string why)
    {
        var failure = await Assert.ThrowsAsync<DataStoreException>(() => ReadWithFerryAsync(query));

        Assert.Equal(ErrorCodes.InvalidData, failure.Code);
        Assert.Contains("column 'n'", failure.Message);
        Assert.Contains(why, failure.Message);
    }

    [Fact]
    public async Task Types_without_a_decoder_are_read_as_their_text()
    {
        var (columns, rows) = await ReadWithFerryAsync("SELECT ARRAY[1, 2] AS a, int4range(1, 5) AS ip, 'a => 1'::text AS t");

        Assert.Equal([typeof(string), typeof(string), typeof(string)], columns.Select(c => c.Type));
        Assert.Equal(["{1,2}", "[1,5)", "a => 1"], rows[0]);
    }
}
