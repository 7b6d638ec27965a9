using System.Text.Json.Nodes;
using Ferry.EndToEnd.Tests.Harness;
using Npgsql;

namespace Ferry.EndToEnd.Tests;

/// <summary>Pipelines with Copy activities run through real processes: the server queues, a node leases and copies, the CLI watches.</summary>
public sealed class PipelineRunTests : IAsyncLifetime, IDisposable
{
    private readonly TempDir _dirs;
    private readonly NodeFleet _nodes;
    private readonly string _database = "e2e_copy_" + Guid.NewGuid().ToString("N")[..8];
    private readonly NpgsqlConnectionStringBuilder _admin = Sql.Admin();

    public PipelineRunTests()
    {
        _dirs = new TempDir();
        _nodes = new NodeFleet(_dirs);
    }

    private string Db => new NpgsqlConnectionStringBuilder(_admin.ConnectionString) { Database = _database }.ConnectionString;

    public async Task InitializeAsync()
    {
        await Sql.ExecAsync(_admin.ConnectionString, $"CREATE DATABASE {_database}");
        await Sql.ExecAsync(Db, "CREATE TABLE orders (id int PRIMARY KEY, item text, amount numeric(12,2), placed timestamptz)",
            "INSERT INTO orders SELECT g, CASE WHEN g % 10 = 0 THEN NULL ELSE 'item, \"' || g || '\"' END, g * 1.25, timestamptz '2026-01-01 00:00:00+00' + g * interval '1 hour' " +
            "FROM generate_series(1, 5000) g");
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await Sql.ExecAsync(_admin.ConnectionString, $"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
    }

    [Fact]
    public async Task A_pipeline_copies_a_table_to_a_file_on_the_node_and_back_and_the_cli_watches_it()
    {
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        var files = Directory.CreateDirectory(_dirs.Sub("files")).FullName;
        var nodeDir = await _nodes.StartAsync(server, "copy-ir", "node-a", beforeStart: async dir =>
        {
            Assert.Equal(0, (await Commands.DmgcmdAsync(dir, "-elma")).ExitCode);
            Assert.Equal(0, (await Commands.DmgcmdAsync(dir, "-alf", files)).ExitCode);
        });
        await PostgresLinkedServiceAsync(server, "copy-ir");
        await ShareLinkedServiceAsync(server, "copy-ir", files);
        await CreateAsync(server, "dataset", "orders", """
            {"properties": {"type": "PostgreSqlV2Table", "linkedServiceName": {"referenceName": "pg", "type": "LinkedServiceReference"}, "typeProperties": {"table": "orders"}}}
            """);
        await CreateAsync(server, "dataset", "orders_copy", """
            {"properties": {"type": "PostgreSqlV2Table", "linkedServiceName": {"referenceName": "pg", "type": "LinkedServiceReference"}, "typeProperties": {"table": "orders_copy"}}}
            """);
        await CreateAsync(server, "dataset", "orders_csv", """
            {"properties": {"type": "DelimitedText", "linkedServiceName": {"referenceName": "share", "type": "LinkedServiceReference"},
              "parameters": {}, "typeProperties": {"location": {"type": "FileServerLocation", "folderPath": "export", "fileName": "orders.csv"}, "firstRowAsHeader": true}}}
            """);
        await CreateAsync(server, "pipeline", "roundtrip", """
            {"properties": {"parameters": {"label": {"type": "String", "defaultValue": "nightly"}},
              "activities": [
                {"name": "Export", "type": "Copy", "inputs": [{"referenceName": "orders", "type": "DatasetReference"}],
                 "outputs": [{"referenceName": "orders_csv", "type": "DatasetReference"}],
                 "typeProperties": {"source": {"type": "PostgreSqlV2Source"}, "sink": {"type": "DelimitedTextSink"}}},
                {"name": "Import", "type": "Copy", "dependsOn": [{"activity": "Export", "dependencyConditions": ["Succeeded"]}],
                 "inputs": [{"referenceName": "orders_csv", "type": "DatasetReference"}], "outputs": [{"referenceName": "orders_copy", "type": "DatasetReference"}],
                 "typeProperties": {"source": {"type": "DelimitedTextSource"},
                   "sink": {"type": "PostgreSqlV2Sink", "preCopyScript": "CREATE TABLE IF NOT EXISTS orders_copy (LIKE orders INCLUDING ALL) -- @{pipeline().parameters.label} @{activity('Export').output.rowsCopied}"}}}
              ]}}
            """);

        var run = await server.FerryAsync("pipeline", "run", "--name", "roundtrip", "--wait");

        Assert.True(run.ExitCode == 0, run.ToString());
        var runId = JsonNode.Parse(run.Stdout)!["runId"]!.GetValue<string>();
        Assert.Contains("Succeeded", run.Stderr, StringComparison.Ordinal);
        var shown = await server.FerryJsonAsync("run", "show", "--run-id", runId);
        Assert.Equal("Succeeded", shown["status"]!.GetValue<string>());
        Assert.Equal("nightly", shown["parameters"]!["label"]!.GetValue<string>());
        var activities = (await server.FerryJsonAsync("run", "activities", "--run-id", runId))["value"]!.AsArray();
        Assert.Equal(["Export", "Import"], activities.Select(a => a!["activityName"]!.GetValue<string>()));
        Assert.All(activities, a =>
        {
            Assert.Equal("Succeeded", a!["status"]!.GetValue<string>());
            Assert.Equal(("copy-ir", "node-a"), (a["integrationRuntime"]!.GetValue<string>(), a["node"]!.GetValue<string>()));
            Assert.Equal(5000, a["output"]!["rowsCopied"]!.GetValue<long>());
            Assert.Equal("copy-ir", a["output"]!["effectiveIntegrationRuntime"]!.GetValue<string>());
            Assert.True(a["output"]!["executionDetails"]![0]!["queuingDuration"]!.GetValue<double>() >= 0);
        });
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM ((SELECT * FROM orders EXCEPT SELECT * FROM orders_copy) UNION ALL (SELECT * FROM orders_copy EXCEPT SELECT * FROM orders)) d"));
        Assert.Equal(["orders.csv"], Directory.GetFiles(Path.Combine(files, "export")).Select(Path.GetFileName));
        Assert.Contains(runId, (await server.FerryAsync("run", "list")).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_million_rows_of_every_common_type_go_through_csv_json_and_sqlite_on_a_node_and_come_back_equal()
    {
        await Sql.ExecAsync(Db,
            "CREATE TABLE wide (id int PRIMARY KEY, small smallint, big bigint, amount numeric(38,10), r real, d double precision, flag boolean, " +
            "note text, code varchar(20), day date, at timestamp, at_tz timestamptz, t time, span interval, u uuid, raw bytea, doc json, docb jsonb)",
            "INSERT INTO wide SELECT g, (g % 30000)::smallint, g * 1000000007::bigint, (g * 1.0123456789)::numeric(38,10), g / 3.0, g / 7.0, g % 2 = 0, " +
            "CASE g % 5 WHEN 0 THEN NULL WHEN 1 THEN 'quote \" comma , newline' || chr(10) || 'end' WHEN 2 THEN 'émoji 🚀 ünïcode' WHEN 3 THEN '' ELSE 'plain ' || g END, " +
            "CASE WHEN g % 7 = 0 THEN NULL ELSE 'c' || g END, date '2000-01-01' + (g % 20000), timestamp '2026-01-01 00:00:00.123456' + g * interval '1 second', " +
            "timestamptz '2026-01-01 00:00:00+02' + g * interval '1 second', time '12:34:56.789' + g * interval '1 millisecond', g * interval '1 minute', " +
            "md5(g::text)::uuid, CASE WHEN g % 11 = 0 THEN NULL ELSE decode(lpad(to_hex(g), 8, '0'), 'hex') END, json_build_object('g', g), " +
            "CASE WHEN g % 13 = 0 THEN NULL ELSE jsonb_build_object('g', g, 's', 'x') END FROM generate_series(1, 1000000) g");
        foreach (var copy in new[] { "wide_csv", "wide_json", "wide_sqlite" })
            await Sql.ExecAsync(Db, $"CREATE TABLE {copy} (LIKE wide INCLUDING ALL)");
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        var files = Directory.CreateDirectory(_dirs.Sub("files")).FullName;
        await _nodes.StartAsync(server, "wide-ir", "node-a", beforeStart: async dir =>
        {
            Assert.Equal(0, (await Commands.DmgcmdAsync(dir, "-elma")).ExitCode);
            Assert.Equal(0, (await Commands.DmgcmdAsync(dir, "-alf", files)).ExitCode);
        });
        await PostgresLinkedServiceAsync(server, "wide-ir");
        await ShareLinkedServiceAsync(server, "wide-ir", files);
        await CreateAsync(server, "linked-service", "lite", $$"""
            {"properties": {"type": "Sqlite", "connectVia": {"referenceName": "wide-ir", "type": "IntegrationRuntimeReference"}, "typeProperties": {"path": "{{Path.Combine(files, "wide.db")}}"} } }
            """);
        foreach (var table in new[] { "wide", "wide_csv", "wide_json", "wide_sqlite" })
            await CreateAsync(server, "dataset", table, $$"""
                {"properties": {"type": "PostgreSqlV2Table", "linkedServiceName": {"referenceName": "pg", "type": "LinkedServiceReference"}, "typeProperties": {"table": "{{table}}"} } }
                """);
        await CreateAsync(server, "dataset", "as_csv", """
            {"properties": {"type": "DelimitedText", "linkedServiceName": {"referenceName": "share", "type": "LinkedServiceReference"},
              "typeProperties": {"location": {"type": "FileServerLocation", "fileName": "wide.csv"}, "firstRowAsHeader": true}}}
            """);
        await CreateAsync(server, "dataset", "as_json", """
            {"properties": {"type": "Json", "linkedServiceName": {"referenceName": "share", "type": "LinkedServiceReference"},
              "typeProperties": {"location": {"type": "FileServerLocation", "fileName": "wide.json"}}}}
            """);
        await CreateAsync(server, "dataset", "as_sqlite", """
            {"properties": {"type": "SqliteTable", "linkedServiceName": {"referenceName": "lite", "type": "LinkedServiceReference"}, "typeProperties": {"table": "wide"}}}
            """);
        static string Copy(string name, string from, string to, string? after = null, string sink = "{\"type\": \"Sink\"}") => $$"""
            {"name": "{{name}}", "type": "Copy", {{(after is null ? "" : $"\"dependsOn\": [{{\"activity\": \"{after}\", \"dependencyConditions\": [\"Succeeded\"]}}],")}}
             "inputs": [{"referenceName": "{{from}}", "type": "DatasetReference"}], "outputs": [{"referenceName": "{{to}}", "type": "DatasetReference"}],
             "typeProperties": {"source": {"type": "Source"}, "sink": {{sink}} } }
            """;
        await CreateAsync(server, "pipeline", "wide", $$"""
            {"properties": {"activities": [
              {{Copy("ToCsv", "wide", "as_csv")}}, {{Copy("FromCsv", "as_csv", "wide_csv", "ToCsv")}},
              {{Copy("ToJson", "wide", "as_json")}}, {{Copy("FromJson", "as_json", "wide_json", "ToJson")}},
              {{Copy("ToSqlite", "wide", "as_sqlite", sink: "{\"type\": \"SqliteSink\", \"tableOption\": \"autoCreate\"}")}}, {{Copy("FromSqlite", "as_sqlite", "wide_sqlite", "ToSqlite")}}
            ]} }
            """);

        var runId = (await server.FerryJsonAsync("pipeline", "run", "--name", "wide"))["runId"]!.GetValue<string>();
        string status = "";
        await Commands.EventuallyAsync(async () =>
        {
            var shown = await server.FerryJsonAsync("run", "show", "--run-id", runId);
            status = shown["status"]!.GetValue<string>();
            return (status is "Succeeded" or "Failed" or "Cancelled", shown.ToJsonString());
        }, TimeSpan.FromMinutes(8), "the six copies of a million rows ending");

        Assert.True(status == "Succeeded", (await server.FerryAsync("run", "activities", "--run-id", runId)).Stdout);
        foreach (var copy in new[] { "wide_csv", "wide_json", "wide_sqlite" })
        {
            // Every column by its type's equality; json (which has none) by its text.
            const string columns = "id, small, big, amount, r, d, flag, note, code, day, at, at_tz, t, span, u, raw, doc::text, docb";
            Assert.Equal(0L, await ScalarAsync($"SELECT count(*) FROM ((SELECT {columns} FROM wide EXCEPT ALL SELECT {columns} FROM {copy}) " +
                                               $"UNION ALL (SELECT {columns} FROM {copy} EXCEPT ALL SELECT {columns} FROM wide)) d"));
        }
    }

    [Fact]
    public async Task A_failing_copy_fails_the_run_with_where_and_why_and_the_cli_exits_non_zero()
    {
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        await _nodes.StartAsync(server, "copy-ir", "node-a", beforeStart: async dir => Assert.Equal(0, (await Commands.DmgcmdAsync(dir, "-elma")).ExitCode));
        await PostgresLinkedServiceAsync(server, "copy-ir");
        await CreateAsync(server, "dataset", "missing", """
            {"properties": {"type": "PostgreSqlV2Table", "linkedServiceName": {"referenceName": "pg", "type": "LinkedServiceReference"}, "typeProperties": {"table": "no_such_table"}}}
            """);
        await CreateAsync(server, "dataset", "target", """
            {"properties": {"type": "PostgreSqlV2Table", "linkedServiceName": {"referenceName": "pg", "type": "LinkedServiceReference"}, "typeProperties": {"table": "target"}}}
            """);
        await CreateAsync(server, "pipeline", "broken", """
            {"properties": {"activities": [
                {"name": "Load", "type": "Copy", "inputs": [{"referenceName": "missing", "type": "DatasetReference"}],
                 "outputs": [{"referenceName": "target", "type": "DatasetReference"}],
                 "typeProperties": {"source": {"type": "PostgreSqlV2Source"}, "sink": {"type": "PostgreSqlV2Sink", "tableOption": "autoCreate"}}},
                {"name": "Never", "type": "Copy", "dependsOn": [{"activity": "Load", "dependencyConditions": ["Succeeded"]}],
                 "inputs": [{"referenceName": "missing", "type": "DatasetReference"}], "outputs": [{"referenceName": "target", "type": "DatasetReference"}],
                 "typeProperties": {"source": {"type": "PostgreSqlV2Source"}, "sink": {"type": "PostgreSqlV2Sink"}}}
              ]}}
            """);

        var run = await server.FerryAsync("pipeline", "run", "--name", "broken", "--wait");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Failed", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("Operation on target Load failed", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("no_such_table", run.Stderr, StringComparison.Ordinal);
        var runId = JsonNode.Parse(run.Stdout)!["runId"]!.GetValue<string>();
        var activities = (await server.FerryJsonAsync("run", "activities", "--run-id", runId))["value"]!.AsArray();
        Assert.Equal("TableNotFound", activities.Single(a => a!["activityName"]!.GetValue<string>() == "Load")!["error"]!["errorCode"]!.GetValue<string>());
        Assert.Equal("Skipped", activities.Single(a => a!["activityName"]!.GetValue<string>() == "Never")!["status"]!.GetValue<string>());
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM pg_tables WHERE tablename = 'target'"));

        var badParameters = await server.FerryAsync("pipeline", "run", "--name", "broken", "--parameters", "{\"nope\": 1}");
        Assert.Equal(1, badParameters.ExitCode);
        Assert.Contains("Parameter 'nope' is not declared", badParameters.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_killed_mid_copy_loses_its_lease_and_the_other_node_finishes_with_exactly_the_source_rows()
    {
        await Sql.ExecAsync(Db, "CREATE TABLE big AS SELECT g AS id, md5(g::text) AS label, g * 0.5 AS amount FROM generate_series(1, 1000000) g");
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"), "--job-lease", "6");
        var files = Directory.CreateDirectory(_dirs.Sub("files")).FullName;
        async Task Prepare(string dir)
        {
            Assert.Equal(0, (await Commands.DmgcmdAsync(dir, "-elma")).ExitCode);
            Assert.Equal(0, (await Commands.DmgcmdAsync(dir, "-alf", files)).ExitCode);
        }
        await _nodes.StartAsync(server, "ha-ir", "node-a", beforeStart: Prepare);
        await _nodes.StartAsync(server, "ha-ir", "node-b", createRuntime: false, beforeStart: Prepare);
        await PostgresLinkedServiceAsync(server, "ha-ir");
        await ShareLinkedServiceAsync(server, "ha-ir", files);
        await CreateAsync(server, "dataset", "big", """
            {"properties": {"type": "PostgreSqlV2Table", "linkedServiceName": {"referenceName": "pg", "type": "LinkedServiceReference"}, "typeProperties": {"table": "big"}}}
            """);
        await CreateAsync(server, "dataset", "big_csv", """
            {"properties": {"type": "DelimitedText", "linkedServiceName": {"referenceName": "share", "type": "LinkedServiceReference"},
              "typeProperties": {"location": {"type": "FileServerLocation", "fileName": "big.csv"}, "firstRowAsHeader": true}}}
            """);
        await CreateAsync(server, "pipeline", "export", """
            {"properties": {"activities": [{"name": "Export", "type": "Copy", "inputs": [{"referenceName": "big", "type": "DatasetReference"}],
              "outputs": [{"referenceName": "big_csv", "type": "DatasetReference"}],
              "typeProperties": {"source": {"type": "PostgreSqlV2Source"}, "sink": {"type": "DelimitedTextSink"}}}]}}
            """);

        var runId = (await server.FerryJsonAsync("pipeline", "run", "--name", "export"))["runId"]!.GetValue<string>();
        string holder = "";
        await Commands.EventuallyAsync(async () =>
        {
            var activity = (await server.FerryJsonAsync("run", "activities", "--run-id", runId))["value"]!.AsArray().FirstOrDefault();
            holder = activity?["node"]?.GetValue<string>() ?? "";
            return (activity?["status"]?.GetValue<string>() == "InProgress" && holder.Length > 0, activity?.ToJsonString() ?? "no activity run yet");
        }, TimeSpan.FromSeconds(30), "the copy running on a node");
        _nodes.Kill(holder);

        await Commands.EventuallyAsync(async () =>
        {
            var status = (await server.FerryJsonAsync("run", "show", "--run-id", runId))["status"]!.GetValue<string>();
            return (status is "Succeeded" or "Failed", status);
        }, TimeSpan.FromSeconds(90), "the run ending after the lease lapsed");

        var activityRun = (await server.FerryJsonAsync("run", "activities", "--run-id", runId))["value"]!.AsArray().Single()!;
        Assert.Equal("Succeeded", activityRun["status"]!.GetValue<string>());
        Assert.NotEqual(holder, activityRun["node"]!.GetValue<string>());
        Assert.Equal(1_000_001, File.ReadLines(Path.Combine(files, "big.csv")).Count()); // header + every row, once
        Assert.Equal(["big.csv"], Directory.GetFiles(files).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Cancelling_a_running_copy_stops_it_and_leaves_no_file_and_no_rows()
    {
        // Long enough that the cancel (heard at the next renewal, every 2 s with a 6 s lease) comes before the end.
        await Sql.ExecAsync(Db, "CREATE TABLE big AS SELECT g AS id, md5(g::text) AS label FROM generate_series(1, 3000000) g", "CREATE TABLE big_copy (id int, label text)");
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"), "--job-lease", "6");
        var files = Directory.CreateDirectory(_dirs.Sub("files")).FullName;
        await _nodes.StartAsync(server, "c-ir", "node-a", beforeStart: async dir =>
        {
            Assert.Equal(0, (await Commands.DmgcmdAsync(dir, "-elma")).ExitCode);
            Assert.Equal(0, (await Commands.DmgcmdAsync(dir, "-alf", files)).ExitCode);
        });
        await PostgresLinkedServiceAsync(server, "c-ir");
        await ShareLinkedServiceAsync(server, "c-ir", files);
        await CreateAsync(server, "dataset", "big", """
            {"properties": {"type": "PostgreSqlV2Table", "linkedServiceName": {"referenceName": "pg", "type": "LinkedServiceReference"}, "typeProperties": {"table": "big"}}}
            """);
        await CreateAsync(server, "dataset", "big_copy", """
            {"properties": {"type": "PostgreSqlV2Table", "linkedServiceName": {"referenceName": "pg", "type": "LinkedServiceReference"}, "typeProperties": {"table": "big_copy"}}}
            """);
        await CreateAsync(server, "dataset", "big_csv", """
            {"properties": {"type": "DelimitedText", "linkedServiceName": {"referenceName": "share", "type": "LinkedServiceReference"},
              "typeProperties": {"location": {"type": "FileServerLocation", "fileName": "big.csv"}, "firstRowAsHeader": true}}}
            """);
        await CreateAsync(server, "pipeline", "both", """
            {"properties": {"activities": [
              {"name": "ToFile", "type": "Copy", "inputs": [{"referenceName": "big", "type": "DatasetReference"}], "outputs": [{"referenceName": "big_csv", "type": "DatasetReference"}],
               "typeProperties": {"source": {"type": "PostgreSqlV2Source"}, "sink": {"type": "DelimitedTextSink"}}},
              {"name": "ToTable", "type": "Copy", "inputs": [{"referenceName": "big", "type": "DatasetReference"}], "outputs": [{"referenceName": "big_copy", "type": "DatasetReference"}],
               "typeProperties": {"source": {"type": "PostgreSqlV2Source"}, "sink": {"type": "PostgreSqlV2Sink"}}}]}}
            """);
        Assert.Equal(0, (await server.FerryAsync("ir", "node", "update", "--name", "c-ir", "--node-name", "node-a", "--concurrent-jobs-limit", "2")).ExitCode);

        var runId = (await server.FerryJsonAsync("pipeline", "run", "--name", "both"))["runId"]!.GetValue<string>();
        await Commands.EventuallyAsync(async () =>
        {
            var activities = (await server.FerryJsonAsync("run", "activities", "--run-id", runId))["value"]!.AsArray();
            return (activities.Count == 2 && activities.All(a => a!["status"]!.GetValue<string>() == "InProgress"), activities.ToJsonString());
        }, TimeSpan.FromSeconds(30), "both copies running");
        Assert.Equal(0, (await server.FerryAsync("run", "cancel", "--run-id", runId)).ExitCode);

        await Commands.EventuallyAsync(async () =>
        {
            var status = (await server.FerryJsonAsync("run", "show", "--run-id", runId))["status"]!.GetValue<string>();
            return (status == "Cancelled", status);
        }, TimeSpan.FromSeconds(30), "the run cancelled");
        var ended = (await server.FerryJsonAsync("run", "activities", "--run-id", runId))["value"]!.AsArray();
        Assert.All(ended, a => Assert.Equal("Cancelled", a!["status"]!.GetValue<string>()));
        Assert.Empty(Directory.GetFiles(files));
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM big_copy"));

        // policy.timeout stops a copy the same way, and fails it saying so.
        await CreateAsync(server, "pipeline", "hurried", """
            {"properties": {"activities": [
              {"name": "ToFile", "type": "Copy", "policy": {"timeout": "0.00:00:01"}, "inputs": [{"referenceName": "big", "type": "DatasetReference"}],
               "outputs": [{"referenceName": "big_csv", "type": "DatasetReference"}],
               "typeProperties": {"source": {"type": "PostgreSqlV2Source"}, "sink": {"type": "DelimitedTextSink"}}}]}}
            """);
        var hurried = await server.FerryAsync("pipeline", "run", "--name", "hurried", "--wait");
        Assert.Equal(1, hurried.ExitCode);
        Assert.Contains("did not finish within its policy.timeout", hurried.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(files));
    }

    /// <summary>Linked service "pg": this test's database, through the runtime's node.</summary>
    private Task PostgresLinkedServiceAsync(FerryServer server, string runtime) => CreateAsync(server, "linked-service", "pg", $$"""
        {"properties": {"type": "PostgreSqlV2", "connectVia": {"referenceName": "{{runtime}}", "type": "IntegrationRuntimeReference"},
          "typeProperties": {"server": "{{_admin.Host}}", "port": {{_admin.Port}}, "database": "{{_database}}", "username": "postgres", "sslMode": "disable"} } }
        """);

    /// <summary>Linked service "share": a folder on the node.</summary>
    private Task ShareLinkedServiceAsync(FerryServer server, string runtime, string folder) => CreateAsync(server, "linked-service", "share", $$"""
        {"properties": {"type": "FileServer", "connectVia": {"referenceName": "{{runtime}}", "type": "IntegrationRuntimeReference"}, "typeProperties": {"host": "{{folder}}"} } }
        """);

    private static Task CreateAsync(FerryServer server, string kind, string name, string json) => server.CreateAsync(kind, name, json);

    private Task<long> ScalarAsync(string sql) => Sql.ScalarAsync(Db, sql);


    public void Dispose()
    {
        _nodes.Dispose();
        _dirs.Dispose();
    }
}
