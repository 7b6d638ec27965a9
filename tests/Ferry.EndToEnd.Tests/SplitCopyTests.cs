using System.Text.Json.Nodes;
using Ferry.EndToEnd.Tests.Harness;
using Npgsql;
using Xunit.Abstractions;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// One copy split over a runtime's nodes (issue 6, "One copy across every node"), with real server, node and
/// PostgreSQL processes: the parts are leased by whichever nodes are free and retried on their own, and the sink
/// commits once, when every part is done.
/// </summary>
public sealed class SplitCopyTests : IAsyncLifetime, IDisposable
{
    private readonly TempDir _dirs = new();
    private readonly NodeFleet _nodes;
    private readonly string _database = "e2e_split_" + Guid.NewGuid().ToString("N")[..8];
    private readonly NpgsqlConnectionStringBuilder _admin = Sql.Admin();
    private readonly ITestOutputHelper _output;

    public SplitCopyTests(ITestOutputHelper output)
    {
        _output = output;
        _nodes = new NodeFleet(_dirs);
    }

    private string Db => new NpgsqlConnectionStringBuilder(_admin.ConnectionString) { Database = _database }.ConnectionString;

    public async Task InitializeAsync()
    {
        await Sql.ExecAsync(_admin.ConnectionString, $"CREATE DATABASE {_database}");
        await Sql.ExecAsync(Db, "CREATE TABLE src (id bigint PRIMARY KEY, v text); INSERT INTO src SELECT g, 'row ' || g FROM generate_series(1, 3000) g");
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await Sql.ExecAsync(_admin.ConnectionString, $"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
    }

    [Fact]
    public async Task A_DynamicRange_copy_runs_as_parts_over_three_nodes_and_lands_exactly_once_though_a_node_is_killed_mid_part()
    {
        await Sql.ExecAsync(Db, "CREATE TABLE dst (id bigint, v text)");
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"), "--job-lease", "6");
        await StartNodesAsync(server, ["node-a", "node-b", "node-c"], jobsEach: 1);
        // Six parts (two per node) of 500 rows, each read slowly (2 s a part), so the parts overlap and a kill lands in one.
        await TableCopyAsync(server, "SELECT id, v FROM src WHERE ?AdfDynamicRangePartitionCondition AND pg_sleep(0.004)::text = ''", "dst");

        var runId = (await server.FerryJsonAsync("pipeline", "run", "--name", "split"))["runId"]!.GetValue<string>();
        await Commands.EventuallyAsync(() => Task.FromResult((_nodes.OutputOf("node-c").Contains("Running activity", StringComparison.Ordinal), "")),
            TimeSpan.FromSeconds(60), "node-c running a part");
        _nodes.Kill("node-c");
        await WaitForRunAsync(server, runId);

        var activity = (await ActivitiesAsync(server, runId)).Single();
        Assert.True(activity["status"]!.GetValue<string>() == "Succeeded", activity.ToJsonString());
        Assert.Equal(3000L, await Sql.ScalarAsync(Db, "SELECT count(*) FROM dst"));
        Assert.Equal(3000L, await Sql.ScalarAsync(Db, "SELECT count(DISTINCT id) FROM dst"));
        Assert.Equal(0L, await Sql.ScalarAsync(Db, "SELECT count(*) FROM pg_tables WHERE tablename LIKE '\\_ferry\\_part\\_%'"));
        var output = activity["output"]!;
        var split = output["distributedCopy"]!;
        var parts = split["parts"]!.AsArray();
        Assert.Equal(6, parts.Count);
        Assert.Equal(3000, output["rowsCopied"]!.GetValue<long>());
        Assert.Equal(3000, parts.Sum(p => p!["rowsCopied"]!.GetValue<long>()));
        Assert.Equal(6, output["usedParallelCopies"]!.GetValue<int>());
        // Every part ran on a node that was up at its end; the survivors took what node-c held.
        Assert.All(parts, p => Assert.Contains(p!["node"]!.GetValue<string>(), new[] { "node-a", "node-b", "node-c" }));
        Assert.True(split["nodes"]!.AsArray().Count >= 2, split.ToJsonString());
        // One job at a time per node (the server counts the leases a node holds): only the part node-c held ran twice.
        Assert.True(parts.Count(p => p!["attempts"]!.GetValue<int>() > 1) <= 1, split.ToJsonString());
        Assert.True(split["effectiveParallelism"]!.GetValue<double>() > 1, split.ToJsonString());
        _output.WriteLine($"split copy: {parts.Count} parts on {split["nodes"]!.ToJsonString()}, attempts " +
                          $"{string.Join(",", parts.Select(p => p!["attempts"]))}, effective parallelism {split["effectiveParallelism"]}, " +
                          $"plan {split["planSeconds"]} s, parts {split["partsSeconds"]} s, commit {split["commitSeconds"]} s");
    }

    [Fact]
    public async Task A_folder_of_files_copied_over_two_nodes_writes_one_file_per_part_and_nothing_half_written()
    {
        var share = Directory.CreateDirectory(_dirs.Sub("share")).FullName;
        var input = Directory.CreateDirectory(Path.Combine(share, "in")).FullName;
        for (var f = 0; f < 8; f++)
            await File.WriteAllLinesAsync(Path.Combine(input, $"day{f}.csv"), ["id,v", .. Enumerable.Range(0, 100).Select(i => $"{f * 100 + i},v{i}")]);
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"), "--job-lease", "6");
        await StartNodesAsync(server, ["node-a", "node-b"], jobsEach: 2, share);
        await server.CreateAsync("linked-service", "share", $$"""
            {"properties": {"type": "FileServer", "connectVia": {"referenceName": "split-ir", "type": "IntegrationRuntimeReference"}, "typeProperties": {"host": "{{share}}"} } }
            """);
        await server.CreateAsync("dataset", "in", """
            {"properties": {"type": "DelimitedText", "linkedServiceName": {"referenceName": "share", "type": "LinkedServiceReference"},
              "typeProperties": {"location": {"type": "FileServerLocation", "folderPath": "in"}, "firstRowAsHeader": true} } }
            """);
        await server.CreateAsync("dataset", "out", """
            {"properties": {"type": "DelimitedText", "linkedServiceName": {"referenceName": "share", "type": "LinkedServiceReference"},
              "typeProperties": {"location": {"type": "FileServerLocation", "folderPath": "out", "fileName": "all.csv"}, "firstRowAsHeader": true} } }
            """);
        await server.CreateAsync("pipeline", "split", """
            {"properties": {"activities": [{"name": "files", "type": "Copy", "inputs": [{"referenceName": "in", "type": "DatasetReference"}],
              "outputs": [{"referenceName": "out", "type": "DatasetReference"}],
              "typeProperties": {"source": {"type": "DelimitedTextSource", "storeSettings": {"type": "FileServerReadSettings", "wildcardFileName": "*.csv"}},
                                 "sink": {"type": "DelimitedTextSink"} } }]}}
            """);

        var runId = (await server.FerryJsonAsync("pipeline", "run", "--name", "split"))["runId"]!.GetValue<string>();
        await WaitForRunAsync(server, runId);

        var activity = (await ActivitiesAsync(server, runId)).Single();
        Assert.True(activity["status"]!.GetValue<string>() == "Succeeded", activity.ToJsonString());
        var written = Directory.GetFiles(Path.Combine(share, "out")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["all_part00000.csv", "all_part00001.csv", "all_part00002.csv", "all_part00003.csv"], written);
        var rows = written.SelectMany(f => File.ReadAllLines(Path.Combine(share, "out", f!)).Skip(1)).ToList();
        Assert.Equal(800, rows.Count);
        Assert.Equal(800, rows.Select(r => r.Split(',')[0]).Distinct().Count());
        var output = activity["output"]!;
        Assert.Equal(8, output["filesRead"]!.GetValue<int>());
        Assert.Equal(4, output["filesWritten"]!.GetValue<int>());
        Assert.Equal(4, output["distributedCopy"]!["parts"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_split_copy_whose_part_fails_names_the_part_and_its_node_and_leaves_the_table_as_it_was()
    {
        await Sql.ExecAsync(Db, "CREATE TABLE dst (id bigint, v int); INSERT INTO dst VALUES (0, 0); UPDATE src SET v = '7' WHERE id <> 2500; UPDATE src SET v = 'seven' WHERE id = 2500");
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"), "--job-lease", "6");
        await StartNodesAsync(server, ["node-a", "node-b"], jobsEach: 2);
        await TableCopyAsync(server, "SELECT id, v FROM src WHERE ?AdfDynamicRangePartitionCondition", "dst");

        var runId = (await server.FerryJsonAsync("pipeline", "run", "--name", "split"))["runId"]!.GetValue<string>();
        await WaitForRunAsync(server, runId);

        var activity = (await ActivitiesAsync(server, runId)).Single();
        Assert.Equal("Failed", activity["status"]!.GetValue<string>());
        var message = activity["error"]!["message"]!.GetValue<string>();
        Assert.Matches(@"^Part 4 of 4 failed on node-[ab]: ", message);
        Assert.Contains("seven", message, StringComparison.Ordinal);
        Assert.Equal(1L, await Sql.ScalarAsync(Db, "SELECT count(*) FROM dst"));
        // The parts that succeeded staged their rows; the discard step removes them.
        await Commands.EventuallyAsync(async () =>
        {
            var staged = await Sql.ScalarAsync(Db, "SELECT count(*) FROM pg_tables WHERE tablename LIKE '\\_ferry\\_part\\_%'");
            return (staged == 0L, $"{staged} staging tables");
        }, TimeSpan.FromSeconds(30), "the failed split's staging removed");
    }

    private async Task StartNodesAsync(FerryServer server, string[] names, int jobsEach, string? folder = null)
    {
        foreach (var node in names)
        {
            await _nodes.StartAsync(server, "split-ir", node, createRuntime: node == names[0], beforeStart: async dir =>
            {
                Assert.Equal(0, (await Commands.DmgcmdAsync(dir, "-elma")).ExitCode);
                if (folder is not null)
                    Assert.Equal(0, (await Commands.DmgcmdAsync(dir, "-alf", folder)).ExitCode);
            });
            Assert.Equal(0, (await server.FerryAsync("ir", "node", "update", "--name", "split-ir", "--node-name", node,
                "--concurrent-jobs-limit", jobsEach.ToString(System.Globalization.CultureInfo.InvariantCulture))).ExitCode);
        }
    }

    /// <summary>Pipeline "split": one copy of <paramref name="query"/>, split on src.id, into table <paramref name="sink"/>.</summary>
    private async Task TableCopyAsync(FerryServer server, string query, string sink)
    {
        await server.CreateAsync("linked-service", "pg", $$"""
            {"properties": {"type": "PostgreSqlV2", "connectVia": {"referenceName": "split-ir", "type": "IntegrationRuntimeReference"},
              "typeProperties": {"server": "{{_admin.Host}}", "port": {{_admin.Port}}, "database": "{{_database}}", "username": "postgres", "sslMode": "disable"} } }
            """);
        foreach (var table in new[] { "src", sink })
        {
            await server.CreateAsync("dataset", table, $$"""
                {"properties": {"type": "PostgreSqlV2Table", "linkedServiceName": {"referenceName": "pg", "type": "LinkedServiceReference"}, "typeProperties": {"table": "{{table}}"} } }
                """);
        }
        await server.CreateAsync("pipeline", "split", new JsonObject
        {
            ["properties"] = new JsonObject
            {
                ["activities"] = new JsonArray(new JsonObject
                {
                    ["name"] = "table", ["type"] = "Copy",
                    ["inputs"] = new JsonArray(new JsonObject { ["referenceName"] = "src", ["type"] = "DatasetReference" }),
                    ["outputs"] = new JsonArray(new JsonObject { ["referenceName"] = sink, ["type"] = "DatasetReference" }),
                    ["typeProperties"] = new JsonObject
                    {
                        ["source"] = new JsonObject
                        {
                            ["type"] = "PostgreSqlV2Source", ["query"] = query, ["partitionOption"] = "DynamicRange",
                            ["partitionSettings"] = new JsonObject { ["partitionColumnName"] = "id" },
                        },
                        ["sink"] = new JsonObject { ["type"] = "PostgreSqlV2Sink" },
                    },
                }),
            },
        }.ToJsonString());
    }

    private static async Task<List<JsonNode>> ActivitiesAsync(FerryServer server, string runId) =>
        (await server.FerryJsonAsync("run", "activities", "--run-id", runId))["value"]!.AsArray().Select(a => a!).ToList();

    private static Task<TimeSpan> WaitForRunAsync(FerryServer server, string runId) => Commands.EventuallyAsync(async () =>
    {
        var status = (await server.FerryJsonAsync("run", "show", "--run-id", runId))["status"]!.GetValue<string>();
        return (status is "Succeeded" or "Failed" or "Cancelled", status);
    }, TimeSpan.FromSeconds(120), $"run {runId} ending");

    public void Dispose()
    {
        _nodes.Dispose();
        _dirs.Dispose();
    }
}
