using System.Text.Json.Nodes;
using Ferry.EndToEnd.Tests.Harness;
using Npgsql;

namespace Ferry.EndToEnd.Tests;

/// <summary>The production store end to end: ferry-server on PostgreSQL, a real node, and no secret in any log or table.</summary>
public sealed class PostgresServerTests : IDisposable
{
    private readonly TempDir _dirs = new();
    private readonly List<RunningProcess> _nodes = [];

    [Fact]
    public async Task A_server_on_PostgreSQL_registers_a_node_shows_it_online_and_keeps_no_secret_in_plain_text()
    {
        var connectionString = await CreateDatabaseAsync();
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"), "--database", connectionString);
        await server.FerryJsonAsync("ir", "create", "--name", "ir-pg", "--description", "on PostgreSQL");
        var key = (await server.FerryJsonAsync("ir", "list-auth-key", "--name", "ir-pg"))["authKey1"]!.GetValue<string>();
        var nodeDir = _dirs.Sub("node");

        var register = await Commands.DmgcmdAsync(nodeDir, "-RegisterNewNode", key, "pg-node");
        Assert.True(register.ExitCode == 0, register.ToString());
        var node = RunningProcess.Start(Binaries.NodeDll, ["--data-dir", nodeDir]);
        _nodes.Add(node);
        await Commands.EventuallyAsync(async () =>
        {
            var s = await server.StatusAsync("ir-pg");
            return (s.State == "Online" && s.Nodes.GetValueOrDefault("pg-node") == "Online", FerryServer.Describe(s));
        }, TimeSpan.FromSeconds(30), "the node is Online on a PostgreSQL-backed server");

        var monitoring = await server.FerryJsonAsync("ir", "get-monitoring-data", "--name", "ir-pg");
        Assert.True(monitoring["nodes"]![0]!["availableMemoryInMB"]!.GetValue<long>() > 0);

        // Secrets: the key's secret, the admin token and the node's private key appear in no log and no table.
        var secret = Convert.ToBase64String(Contracts.Keys.AuthKey.Parse(key).Secret);
        var privateKey = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(nodeDir, "identity.json")))!["privateKey"]!.GetValue<string>();
        var logs = server.Output + node.Output;
        var database = await DumpAsync(connectionString);
        foreach (var (what, value) in new[] { ("key", key), ("key secret", secret), ("admin token", server.Token), ("node private key", privateKey) })
        {
            Assert.False(logs.Contains(value, StringComparison.Ordinal), $"the {what} appears in a log");
            Assert.False(database.Contains(value, StringComparison.Ordinal), $"the {what} appears in the database");
        }
    }

    private static async Task<string> CreateDatabaseAsync()
    {
        var admin = Environment.GetEnvironmentVariable("FERRY_TEST_POSTGRES")
                    ?? throw new InvalidOperationException("FERRY_TEST_POSTGRES is not set; run the tests with ./scripts/test, which starts PostgreSQL.");
        var name = "ferry_e2e_" + Guid.NewGuid().ToString("N")[..10];
        await using (var conn = new NpgsqlConnection(admin))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ToString();
    }

    /// <summary>Every row of every table as text.</summary>
    private static async Task<string> DumpAsync(string connectionString)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        var tables = new List<string>();
        await using (var cmd = new NpgsqlCommand("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", conn))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        }
        var text = new System.Text.StringBuilder();
        foreach (var table in tables)
        {
            await using var cmd = new NpgsqlCommand($"SELECT t::text FROM {table} t", conn);
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync()) text.AppendLine(reader.GetString(0));
        }
        return text.ToString();
    }

    public void Dispose()
    {
        foreach (var n in _nodes) n.Dispose();
        _dirs.Dispose();
    }
}
