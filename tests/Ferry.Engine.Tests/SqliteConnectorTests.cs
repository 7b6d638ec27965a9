using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Engine.Access;
using Microsoft.Data.Sqlite;

namespace Ferry.Engine.Tests;

public sealed class SqliteConnectorTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly NodeAccessPolicy _policy;
    private readonly string _linkedService;

    public SqliteConnectorTests()
    {
        _policy = new NodeAccessPolicy(true, [_temp.Path], false);
        var path = _temp.Combine("shop.db");
        _linkedService = Support.Json(new { type = "Sqlite", typeProperties = new { path } });
        using var connection = new SqliteConnection($"Data Source={path};Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT NOT NULL, price REAL, note BLOB);" +
                              "INSERT INTO orders VALUES (1, 'tea', 2.5, NULL), (2, 'cake', 4.0, x'0102');" +
                              "CREATE VIEW cheap AS SELECT * FROM orders WHERE price < 3;";
        command.ExecuteNonQuery();
    }

    private static string Table(string table) => Support.Json(new { type = "SqliteTable", typeProperties = new { table } });

    [Fact]
    public async Task Browse_schema_and_preview()
    {
        var browse = await Support.RunAsync(_policy, InteractiveOperation.Browse, _linkedService);
        Assert.True(browse.Succeeded, browse.Message);
        Assert.Equal(["cheap", "orders"], browse.Result!["items"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()));

        var schema = await Support.RunAsync(_policy, InteractiveOperation.GetSchema, _linkedService, Table("orders"));
        var columns = schema.Result!["columns"]!.AsArray();
        Assert.Equal(["id", "item", "price", "note"], columns.Select(c => c!["name"]!.GetValue<string>()));
        Assert.Equal("TEXT", columns[1]!["type"]!.GetValue<string>());
        Assert.False(columns[1]!["nullable"]!.GetValue<bool>());

        var preview = await Support.RunAsync(_policy, InteractiveOperation.Preview, _linkedService, Table("orders"));
        var rows = preview.Result!["rows"]!.AsArray();
        Assert.Equal("cake", rows[1]![1]!.GetValue<string>());
        Assert.Equal(2.5, rows[0]![2]!.GetValue<double>());
        Assert.Equal("AQI=", rows[1]![3]!.GetValue<string>());
    }

    [Fact]
    public async Task A_missing_table_and_a_missing_file_are_named()
    {
        var table = await Support.RunAsync(_policy, InteractiveOperation.Preview, _linkedService, Table("nope"));
        Assert.Equal(ErrorCodes.TableNotFound, table.ErrorCode);
        Assert.Contains("'nope'", table.Message, StringComparison.Ordinal);

        var file = await Support.RunAsync(_policy, InteractiveOperation.TestConnection,
            Support.Json(new { type = "Sqlite", typeProperties = new { path = _temp.Combine("missing.db") } }));
        Assert.Equal(ErrorCodes.PathNotFound, file.ErrorCode);
        Assert.False(File.Exists(_temp.Combine("missing.db")), "a test connection must not create the file");
    }

    [Fact]
    public async Task A_file_that_is_not_a_database_says_so()
    {
        File.WriteAllText(_temp.Combine("text.db"), new string('x', 4096));
        var response = await Support.RunAsync(_policy, InteractiveOperation.TestConnection,
            Support.Json(new { type = "Sqlite", typeProperties = new { path = _temp.Combine("text.db") } }));
        Assert.Equal(ErrorCodes.InvalidData, response.ErrorCode);
    }

    [Fact]
    public async Task A_database_outside_the_allowed_folders_is_refused()
    {
        var response = await Support.RunAsync(NodeAccessPolicy.Default, InteractiveOperation.TestConnection, _linkedService);
        Assert.Equal(ErrorCodes.PathNotAllowed, response.ErrorCode);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _temp.Dispose();
    }
}
