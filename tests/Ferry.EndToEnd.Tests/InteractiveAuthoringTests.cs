using System.Text;
using System.Text.Json.Nodes;
using Ferry.EndToEnd.Tests.Harness;
using Npgsql;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// Test connection, browse, schema and preview from the ferry CLI, executed by a real node process through the relay
/// (or its poll channel), against a real PostgreSQL with a password user, files and a SQLite database on the node.
/// </summary>
public sealed class InteractiveAuthoringTests : IDisposable
{
    private readonly TempDir _dirs;
    private readonly NodeFleet _nodes;

    public InteractiveAuthoringTests()
    {
        _dirs = new TempDir();
        _nodes = new NodeFleet(_dirs);
    }

    [Fact]
    public async Task A_postgres_password_reaches_only_the_node_and_test_connection_tells_right_from_wrong()
    {
        const string password = "Only-The-Node-Knows-7f3a";
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (user, database) = ($"e2e_reader_{suffix}", $"e2e_sales_{suffix}");
        var admin = Sql.Admin();
        await Sql.ExecAsync(admin.ConnectionString, $"CREATE ROLE {user} LOGIN PASSWORD '{password}'", $"CREATE DATABASE {database}");
        try
        {
            await Sql.ExecAsync(new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Database = database }.ConnectionString,
                "CREATE SCHEMA sales", "CREATE TABLE sales.orders (id int PRIMARY KEY, item text NOT NULL, price numeric(8,2))",
                "INSERT INTO sales.orders VALUES (1, 'tea', 2.50), (2, 'cake', 4.00), (3, 'scone', 3.25)",
                $"GRANT USAGE ON SCHEMA sales TO {user}", $"GRANT SELECT ON sales.orders TO {user}");

            using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
            var nodeDir = await _nodes.StartAsync(server, "pg-ir", "node-a");
            await server.FerryJsonAsync("linked-service", "create", "--name", "sales-db", "--file", Write("pg.json", LinkedService(admin, database, user, password)));
            await server.FerryJsonAsync("linked-service", "create", "--name", "sales-db-wrong", "--file", Write("pg-wrong.json", LinkedService(admin, database, user, "not-the-password")));
            await server.FerryJsonAsync("dataset", "create", "--name", "orders", "--file", Write("orders.json", """
                {"properties": {"type": "PostgreSqlV2Table", "linkedServiceName": {"referenceName": "sales-db", "type": "LinkedServiceReference"},
                  "typeProperties": {"schema": "sales", "table": "orders"}}}
                """));

            // PostgreSQL runs on this very machine: refused until the node's owner allows local machine access.
            var refused = await server.FerryAsync("linked-service", "test-connection", "--name", "sales-db");
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains("LocalMachineAccessDisabled", refused.Stderr, StringComparison.Ordinal);
            Assert.Contains("-EnableLocalMachineAccess", refused.Stderr, StringComparison.Ordinal);
            Assert.Equal(0, (await Commands.DmgcmdAsync(nodeDir, "-elma")).ExitCode);

            var ok = await server.FerryJsonAsync("linked-service", "test-connection", "--name", "sales-db");
            Assert.Contains(database, ok["message"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal("node-a", ok["executedBy"]!["node"]!.GetValue<string>());

            // The same password kept in a secret store folder on the node, the way container secrets are mounted.
            var secrets = Directory.CreateDirectory(_dirs.Sub("secrets")).FullName;
            await File.WriteAllTextAsync(Path.Combine(secrets, "sales-password"), password + "\n");
            Assert.Equal(0, (await Commands.DmgcmdAsync(nodeDir, "-AllowLocalFolder", secrets)).ExitCode);
            await server.FerryJsonAsync("linked-service", "create", "--name", "vault", "--file", Write("vault.json", $$"""
                {"properties": {"type": "SecretStore", "connectVia": {"referenceName": "pg-ir", "type": "IntegrationRuntimeReference"},
                  "typeProperties": {"provider": "Files", "folder": "{{secrets}}"} } }
                """));
            var fromStore = LinkedService(admin, database, user, password).Replace(
                $"{{\"type\": \"SecureString\", \"value\": \"{password}\"}}",
                "{\"type\": \"SecretStoreSecret\", \"store\": {\"referenceName\": \"vault\", \"type\": \"LinkedServiceReference\"}, \"secretName\": \"sales-password\"}",
                StringComparison.Ordinal);
            Assert.DoesNotContain(password, fromStore, StringComparison.Ordinal);
            await server.FerryJsonAsync("linked-service", "create", "--name", "sales-db-vault", "--file", Write("pg-vault.json", fromStore));
            Assert.Contains("readable (1 secret file(s))", (await server.FerryJsonAsync("linked-service", "test-connection", "--name", "vault"))["message"]!.GetValue<string>(),
                StringComparison.Ordinal);
            var viaStore = await server.FerryAsync("linked-service", "test-connection", "--name", "sales-db-vault");
            Assert.True(viaStore.ExitCode == 0, viaStore.ToString());

            var wrong = await server.FerryAsync("linked-service", "test-connection", "--name", "sales-db-wrong");
            Assert.Equal(1, wrong.ExitCode);
            Assert.Contains("AuthenticationFailed", wrong.Stderr, StringComparison.Ordinal);
            Assert.Contains("authentication rejected", wrong.Stderr, StringComparison.Ordinal);

            var schemas = await server.FerryJsonAsync("linked-service", "browse", "--name", "sales-db");
            Assert.Contains("sales", Names(schemas["items"]));
            var tables = await server.FerryJsonAsync("linked-service", "browse", "--name", "sales-db", "--path", "sales");
            Assert.Equal(["orders"], Names(tables["items"]));
            var schema = await server.FerryJsonAsync("dataset", "schema", "--name", "orders");
            Assert.Equal(["id", "item", "price"], Names(schema["columns"]));
            var preview = await server.FerryJsonAsync("dataset", "preview", "--name", "orders", "--rows", "2");
            Assert.Equal(2, preview["rows"]!.AsArray().Count);
            Assert.Equal("tea", preview["rows"]![0]![1]!.GetValue<string>());
            var table = await server.FerryAsync("dataset", "preview", "--name", "orders", "-o", "table");
            Assert.Contains("scone", table.Stdout, StringComparison.Ordinal);

            // The password is in none of the server's database files, its log, the node's files or the node's log.
            var everything = new StringBuilder(server.Output).Append(_nodes.Output);
            foreach (var file in Directory.EnumerateFiles(server.DataDir, "*", SearchOption.AllDirectories).Concat(Directory.EnumerateFiles(nodeDir, "*", SearchOption.AllDirectories)))
            {
                // The admin socket and the instance lock hold no content (the lock is held exclusively by the running node).
                if (!file.EndsWith(".sock", StringComparison.Ordinal) && !file.EndsWith("node.lock", StringComparison.Ordinal))
                    everything.Append(Encoding.UTF8.GetString(await ReadSharedAsync(file)));
            }
            Assert.DoesNotContain(password, everything.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain(password, refused.Stderr + wrong.Stderr + ok.ToJsonString(), StringComparison.Ordinal);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await Sql.ExecAsync(admin.ConnectionString, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)", $"DROP ROLE IF EXISTS {user}");
        }
    }

    [Fact]
    public async Task Files_and_sqlite_on_the_node_are_read_only_under_allowed_folders()
    {
        var data = Directory.CreateDirectory(_dirs.Sub("data")).FullName;
        var secret = Directory.CreateDirectory(_dirs.Sub("secret")).FullName;
        File.WriteAllText(Path.Combine(secret, "passwd"), "root:x:0:0");
        Directory.CreateDirectory(Path.Combine(data, "in"));
        File.WriteAllText(Path.Combine(data, "in", "people.csv"), "id,name\n1,Ada\n2,Grace\n");
        File.WriteAllText(Path.Combine(data, "in", "events.json"), "{\"id\": 1, \"kind\": \"start\"}\n{\"id\": 2, \"kind\": \"stop\"}\n");
        Directory.CreateSymbolicLink(Path.Combine(data, "in", "escape"), secret);
        using (var sqlite = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(data, "shop.db")};Pooling=false"))
        {
            sqlite.Open();
            using var command = sqlite.CreateCommand();
            command.CommandText = "CREATE TABLE items (id INTEGER, name TEXT); INSERT INTO items VALUES (1, 'kettle'), (2, 'mug');";
            command.ExecuteNonQuery();
        }

        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        var nodeDir = await _nodes.StartAsync(server, "files-ir", "node-a");
        await server.FerryJsonAsync("linked-service", "create", "--name", "share", "--file", Write("share.json", $$"""
            {"properties": {"type": "FileServer", "connectVia": {"referenceName": "files-ir", "type": "IntegrationRuntimeReference"},
              "typeProperties": {"host": "{{data}}"} } }
            """));
        await server.FerryJsonAsync("linked-service", "create", "--name", "shop", "--file", Write("shop.json", $$"""
            {"properties": {"type": "Sqlite", "connectVia": {"referenceName": "files-ir", "type": "IntegrationRuntimeReference"},
              "typeProperties": {"path": "{{Path.Combine(data, "shop.db")}}"} } }
            """));
        await server.FerryJsonAsync("dataset", "create", "--name", "people", "--file", Write("people.json", """
            {"properties": {"type": "DelimitedText", "linkedServiceName": {"referenceName": "share", "type": "LinkedServiceReference"},
              "typeProperties": {"location": {"type": "FileServerLocation", "folderPath": "in", "fileName": "people.csv"}, "firstRowAsHeader": true}}}
            """));
        await server.FerryJsonAsync("dataset", "create", "--name", "events", "--file", Write("events.json", """
            {"properties": {"type": "Json", "linkedServiceName": {"referenceName": "share", "type": "LinkedServiceReference"},
              "typeProperties": {"location": {"type": "FileServerLocation", "folderPath": "in", "fileName": "events.json"}}}}
            """));
        await server.FerryJsonAsync("dataset", "create", "--name", "items", "--file", Write("items.json", """
            {"properties": {"type": "SqliteTable", "linkedServiceName": {"referenceName": "shop", "type": "LinkedServiceReference"},
              "typeProperties": {"table": "items"}}}
            """));
        await server.FerryJsonAsync("dataset", "create", "--name", "escaped", "--file", Write("escaped.json", """
            {"properties": {"type": "DelimitedText", "linkedServiceName": {"referenceName": "share", "type": "LinkedServiceReference"},
              "typeProperties": {"location": {"type": "FileServerLocation", "folderPath": "in/escape", "fileName": "passwd"}}}}
            """));

        // Validation is on by default and no folder is allowed yet.
        var notAllowed = await server.FerryAsync("linked-service", "browse", "--name", "share");
        Assert.Equal(1, notAllowed.ExitCode);
        Assert.Contains("PathNotAllowed", notAllowed.Stderr, StringComparison.Ordinal);
        Assert.Contains("-AllowLocalFolder", notAllowed.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, (await Commands.DmgcmdAsync(nodeDir, "-AllowLocalFolder", data)).ExitCode);

        var root = await server.FerryJsonAsync("linked-service", "browse", "--name", "share");
        Assert.Equal(["in", "shop.db"], Names(root["items"]));
        var people = await server.FerryJsonAsync("dataset", "preview", "--name", "people");
        Assert.Equal("Grace", people["rows"]![1]![1]!.GetValue<string>());
        var events = await server.FerryJsonAsync("dataset", "schema", "--name", "events");
        Assert.Equal(["id", "kind"], Names(events["columns"]));
        var items = await server.FerryJsonAsync("dataset", "preview", "--name", "items");
        Assert.Equal("mug", items["rows"]![1]![1]!.GetValue<string>());
        Assert.Contains("items", Names((await server.FerryJsonAsync("linked-service", "browse", "--name", "shop"))["items"]));

        // Without connectVia the managed runtime (the server itself) runs the request, under its own, default policy.
        await server.FerryJsonAsync("linked-service", "create", "--name", "managed-share", "--file", Write("managed.json", $$"""
            {"properties": {"type": "FileServer", "typeProperties": {"host": "{{data}}"} } }
            """));
        var managed = await server.FerryAsync("linked-service", "browse", "--name", "managed-share");
        Assert.Equal(1, managed.ExitCode);
        Assert.Contains("PathNotAllowed", managed.Stderr, StringComparison.Ordinal);
        Assert.Contains("ran on runtime 'managed'", managed.Stderr, StringComparison.Ordinal);

        var traversal = await server.FerryAsync("linked-service", "browse", "--name", "share", "--path", "../secret");
        Assert.Contains("PathNotAllowed", traversal.Stderr, StringComparison.Ordinal);
        var symlink = await server.FerryAsync("dataset", "preview", "--name", "escaped");
        Assert.Contains("PathNotAllowed", symlink.Stderr, StringComparison.Ordinal);
        Assert.Contains("symbolic link", symlink.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("root:x", symlink.Stdout + symlink.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cut_relay_makes_the_node_limited_and_self_contained_interactive_authoring_still_works()
    {
        // The relay goes through a forwarder this test can cut, while heartbeats go straight to the server.
        var serverPort = FerryServer.FreePort();
        using var relayPath = new TcpForwarder(serverPort);
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"), serverPort, "--relay-url", $"http://127.0.0.1:{relayPath.Port}");
        var data = Directory.CreateDirectory(_dirs.Sub("data")).FullName;
        var nodeDir = await _nodes.StartAsync(server, "relay-ir", "node-a");
        Assert.Equal(0, (await Commands.DmgcmdAsync(nodeDir, "-alf", data)).ExitCode);
        await server.FerryJsonAsync("linked-service", "create", "--name", "share", "--file", Write("share.json", $$"""
            {"properties": {"type": "FileServer", "connectVia": {"referenceName": "relay-ir", "type": "IntegrationRuntimeReference"},
              "typeProperties": {"host": "{{data}}"} } }
            """));
        await Commands.EventuallyAsync(async () =>
        {
            var result = await server.FerryAsync("linked-service", "test-connection", "--name", "share");
            return (result.ExitCode == 0, result.ToString());
        }, TimeSpan.FromSeconds(20), "test connection through the relay");
        var urls = (await server.FerryJsonAsync("ir", "get-status", "--name", "relay-ir"))["properties"]!["typeProperties"]!["serviceUrls"]!;
        Assert.Contains($"http://127.0.0.1:{relayPath.Port}", urls.AsArray().Select(u => u!.GetValue<string>()));

        relayPath.Cut();

        await Commands.EventuallyAsync(async () =>
        {
            var status = await server.FerryJsonAsync("ir", "get-status", "--name", "relay-ir");
            var node = status["properties"]!["typeProperties"]!["nodes"]![0]!;
            var ok = status["properties"]!["state"]!.GetValue<string>() == "Limited" && node["status"]!.GetValue<string>() == "Limited"
                     && node["capabilities"]!["serviceBusConnected"]!.GetValue<string>() == "False";
            return (ok, status.ToJsonString());
        }, TimeSpan.FromSeconds(30), "node and runtime Limited with serviceBusConnected False");
        var history = await server.FerryAsync("ir", "status-history", "--name", "relay-ir");
        Assert.Contains("relay disconnected", history.Stdout, StringComparison.Ordinal);
        var unavailable = await server.FerryAsync("linked-service", "test-connection", "--name", "share");
        Assert.Equal(1, unavailable.ExitCode);
        Assert.Contains("selfContainedInteractiveAuthoringEnabled", unavailable.Stderr, StringComparison.Ordinal);

        await server.FerryJsonAsync("ir", "create", "--name", "relay-ir", "--self-contained-interactive-authoring", "true");

        await Commands.EventuallyAsync(async () =>
        {
            var result = await server.FerryAsync("linked-service", "test-connection", "--name", "share");
            return (result.ExitCode == 0, result.ToString());
        }, TimeSpan.FromSeconds(30), "test connection over the node's own channel");
        var browse = await server.FerryJsonAsync("linked-service", "browse", "--name", "share");
        Assert.Equal("node-a", browse["executedBy"]!["node"]!.GetValue<string>());
        await Commands.EventuallyAsync(async () =>
        {
            var s = await server.StatusAsync("relay-ir");
            return (s.State == "Online", FerryServer.Describe(s));
        }, TimeSpan.FromSeconds(30), "the runtime Online again: the relay is no longer needed");
    }

    [Fact]
    public async Task A_request_the_node_cannot_answer_in_time_fails_with_the_timeout_named()
    {
        // A port that accepts connections and never answers: the data store "hangs".
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"), "--interactive-timeout", "2");
        var nodeDir = await _nodes.StartAsync(server, "slow-ir", "node-a");
        Assert.Equal(0, (await Commands.DmgcmdAsync(nodeDir, "-elma")).ExitCode);
        await server.FerryJsonAsync("linked-service", "create", "--name", "api", "--file", Write("api.json", $$"""
            {"properties": {"type": "HttpServer", "connectVia": {"referenceName": "slow-ir", "type": "IntegrationRuntimeReference"},
              "typeProperties": {"url": "http://127.0.0.1:{{port}}/", "authenticationType": "Anonymous"} } }
            """));

        var result = await server.FerryAsync("linked-service", "test-connection", "--name", "api");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("InteractiveTimeout", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("did not answer within 2 s", result.Stderr, StringComparison.Ordinal);
    }

    private static string LinkedService(NpgsqlConnectionStringBuilder admin, string database, string user, string password) => $$"""
        {"properties": {"type": "PostgreSqlV2", "connectVia": {"referenceName": "pg-ir", "type": "IntegrationRuntimeReference"},
          "typeProperties": {"server": "{{admin.Host}}", "port": {{admin.Port}}, "database": "{{database}}", "username": "{{user}}", "sslMode": "disable",
                             "password": {"type": "SecureString", "value": "{{password}}"} } } }
        """;

    private static List<string> Names(JsonNode? array) => array!.AsArray().Select(i => i!["name"]!.GetValue<string>()).ToList();

    private static async Task<byte[]> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }


    private string Write(string name, string content)
    {
        var path = _dirs.Sub(name);
        File.WriteAllText(path, content);
        return path;
    }

    public void Dispose()
    {
        _nodes.Dispose();
        _dirs.Dispose();
    }
}
