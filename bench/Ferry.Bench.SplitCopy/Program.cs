// One copy spread over a runtime's nodes: a real ferry-server and one, two, then three real ferry-nodes on loopback (all on
// this machine), a pipeline whose Copy activity reads a PostgreSQL table in DynamicRange parts, into a PostgreSQL table and
// into CSV files, and psql's \copy of the same table, both ways, in the same run. With one node the copy runs whole; with
// more it runs as parts leased by every node and one commit. Reports each time, the speed-up over one node, and the
// effective parallelism and part layout the activity's output recorded.
// Usage: Ferry.Bench.SplitCopy --bin DIR --connection CONNSTRING --psql PATH [--rows N] [--nodes N]
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Ferry.Bench;
using Npgsql;

string? bin = null, connection = null, psql = null;
var rows = 10_000_000;
var maxNodes = 3;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--bin": bin = args[++i]; break;
        case "--connection": connection = args[++i]; break;
        case "--psql": psql = args[++i]; break;
        case "--rows": rows = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--nodes": maxNodes = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}
if (bin is null || connection is null || psql is null)
{
    Console.Error.WriteLine("Usage: Ferry.Bench.SplitCopy --bin DIR --connection CONNSTRING --psql PATH [--rows N] [--nodes N]");
    return 2;
}
var pg = new NpgsqlConnectionStringBuilder(connection);
async Task<object?> SqlAsync(string sql)
{
    await using var c = new NpgsqlConnection(connection);
    await c.OpenAsync();
    await using var command = new NpgsqlCommand(sql, c) { CommandTimeout = 0 };
    return await command.ExecuteScalarAsync();
}
await SqlAsync("DROP TABLE IF EXISTS split_src, split_dst, psql_dst");
await SqlAsync("CREATE TABLE split_src (id bigint PRIMARY KEY, qty integer, amount numeric(18,4), ratio double precision, flag boolean, " +
               "label text, created timestamptz, day date, ref uuid)");
await SqlAsync($"INSERT INTO split_src SELECT g, g % 1000, g * 1.2345, g / 7.0, g % 2 = 0, 'label ' || g || CASE WHEN g % 10 = 0 THEN ', with \"quotes\"' ELSE '' END, " +
               $"timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second', date '2026-01-01' + (g % 3650), md5(g::text)::uuid FROM generate_series(1, {rows}) g");
await SqlAsync("ANALYZE split_src");
await SqlAsync("CREATE TABLE split_dst (LIKE split_src)");
await SqlAsync("CREATE TABLE psql_dst (LIKE split_src)");

await using var fleet = await FerryFleet.StartServerAsync(bin, "ferry-bench-split-copy-");
var files = Directory.CreateDirectory(Path.Combine(fleet.Work, "files")).FullName;
var connectVia = """{"referenceName": "split-ir", "type": "IntegrationRuntimeReference"}""";
var pipelines = false;

async Task DefineAsync()
{
    await fleet.SendAsync(HttpMethod.Put, "/factories/default/linkedservices/pg", $$"""
        {"properties": {"type": "PostgreSqlV2", "connectVia": {{connectVia}},
          "typeProperties": {"server": "{{pg.Host}}", "port": {{pg.Port}}, "database": "{{pg.Database}}", "username": "{{pg.Username}}", "sslMode": "disable"} } }
        """);
    await fleet.SendAsync(HttpMethod.Put, "/factories/default/linkedservices/share",
        $$"""{"properties": {"type": "FileServer", "connectVia": {{connectVia}}, "typeProperties": {"host": "{{files}}"} } }""");
    foreach (var table in new[] { "split_src", "split_dst" })
    {
        await fleet.SendAsync(HttpMethod.Put, $"/factories/default/datasets/{table}", $$"""
            {"properties": {"type": "PostgreSqlV2Table", "linkedServiceName": {"referenceName": "pg", "type": "LinkedServiceReference"},
              "typeProperties": {"schema": "public", "table": "{{table}}"} } }
            """);
    }
    await fleet.SendAsync(HttpMethod.Put, "/factories/default/datasets/csv", """
        {"properties": {"type": "DelimitedText", "linkedServiceName": {"referenceName": "share", "type": "LinkedServiceReference"},
          "typeProperties": {"location": {"type": "FileServerLocation", "folderPath": "out", "fileName": "ferry.csv"}, "firstRowAsHeader": true} } }
        """);
    foreach (var (name, sink, sinkType) in new[] { ("to-table", "split_dst", "PostgreSqlV2Sink"), ("to-csv", "csv", "DelimitedTextSink") })
    {
        await fleet.SendAsync(HttpMethod.Put, $"/factories/default/pipelines/{name}", $$"""
            {"properties": {"activities": [{"name": "Copy", "type": "Copy", "inputs": [{"referenceName": "split_src", "type": "DatasetReference"}],
              "outputs": [{"referenceName": "{{sink}}", "type": "DatasetReference"}],
              "typeProperties": {"source": {"type": "PostgreSqlV2Source", "partitionOption": "DynamicRange"}, "sink": {"type": "{{sinkType}}"} } }] } }
            """);
    }
}

async Task<double> PsqlAsync(string script)
{
    var info = new ProcessStartInfo("bash", ["-c", script]) { RedirectStandardError = true };
    info.Environment["PGHOST"] = pg.Host;
    info.Environment["PGPORT"] = pg.Port.ToString(CultureInfo.InvariantCulture);
    info.Environment["PGUSER"] = pg.Username;
    info.Environment["PGDATABASE"] = pg.Database;
    var clock = Stopwatch.StartNew();
    using var process = Process.Start(info)!;
    var error = await process.StandardError.ReadToEndAsync();
    await process.WaitForExitAsync();
    if (process.ExitCode != 0)
        throw new InvalidOperationException($"psql failed: {error}");
    return clock.Elapsed.TotalSeconds;
}

async Task<(double Seconds, JsonNode Output)> FerryAsync(string pipeline)
{
    var run = await fleet.RunAsync(pipeline, TimeSpan.FromMilliseconds(200));
    var activity = (await fleet.SendAsync(HttpMethod.Post, $"/factories/default/pipelineruns/{run["runId"]!.GetValue<string>()}/queryActivityruns", "{}"))!["value"]![0]!;
    if (run["status"]!.GetValue<string>() != "Succeeded")
        throw new InvalidOperationException($"the copy did not succeed: {activity.ToJsonString()}");
    var seconds = (DateTimeOffset.Parse(activity["activityRunEnd"]!.GetValue<string>(), CultureInfo.InvariantCulture)
                   - DateTimeOffset.Parse(activity["activityRunStart"]!.GetValue<string>(), CultureInfo.InvariantCulture)).TotalSeconds;
    return (seconds, activity["output"]!);
}

string Layout(JsonNode output) => output["distributedCopy"] is { } split
    ? string.Create(CultureInfo.InvariantCulture,
        $"{split["parts"]!.AsArray().Count} parts (effective parallelism {split["effectiveParallelism"]}): plan {split["planSeconds"]} s, parts {split["partsSeconds"]} s, commit {split["commitSeconds"]} s")
    : "whole, on one node";

var psqlCsv = await PsqlAsync($"{psql} -q -c \"\\copy (SELECT * FROM split_src) TO '{files}/psql.csv' CSV HEADER\"");
var psqlTable = await PsqlAsync($"{psql} -q -c \"\\copy (SELECT * FROM split_src) TO STDOUT\" | {psql} -q -c \"\\copy psql_dst FROM STDIN\"");
File.Delete(Path.Combine(files, "psql.csv"));
await SqlAsync("DROP TABLE psql_dst");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"psql: to CSV {psqlCsv:F2} s, to a table {psqlTable:F2} s"));

var results = new List<(int Nodes, string Sink, double Seconds, string Layout)>();
for (var n = 1; n <= maxNodes; n++)
{
    await fleet.StartNodeAsync("split-ir", $"node-{n}", ["-alf", files], ["-elma"]);
    if (!pipelines)
    {
        await DefineAsync();
        pipelines = true;
    }
    await SqlAsync("TRUNCATE split_dst");
    var (tableSeconds, tableOutput) = await FerryAsync("to-table");
    var landed = Convert.ToInt64(await SqlAsync("SELECT count(*) FROM split_dst"), CultureInfo.InvariantCulture);
    if (landed != rows)
        throw new InvalidOperationException($"{n} node(s): the table holds {landed} rows, not {rows}");
    results.Add((n, "table", tableSeconds, Layout(tableOutput)));

    var output = Path.Combine(files, "out");
    if (Directory.Exists(output))
        Directory.Delete(output, recursive: true);
    var (csvSeconds, csvOutput) = await FerryAsync("to-csv");
    var lines = Directory.GetFiles(output, "*.csv").Sum(f => File.ReadLines(f).LongCount() - 1);
    if (lines != rows)
        throw new InvalidOperationException($"{n} node(s): the CSV files hold {lines} rows, not {rows}");
    results.Add((n, "CSV", csvSeconds, Layout(csvOutput)));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{n} node(s): to a table {tableSeconds:F2} s ({Layout(tableOutput)}), to CSV {csvSeconds:F2} s ({Layout(csvOutput)})"));
}
await SqlAsync("DROP TABLE IF EXISTS split_src, split_dst");

Console.WriteLine();
Console.WriteLine("| sink | nodes | psql \\copy | Ferry | rows/s | speed-up over 1 node | layout |");
Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
foreach (var sink in new[] { "table", "CSV" })
{
    var one = results.First(r => r.Sink == sink && r.Nodes == 1).Seconds;
    foreach (var r in results.Where(r => r.Sink == sink))
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| PostgreSQL → {(sink == "table" ? "PostgreSQL" : "CSV files")} | {r.Nodes} | {(sink == "table" ? psqlTable : psqlCsv):F2} s | {r.Seconds:F2} s | {rows / r.Seconds:N0} | {one / r.Seconds:F2} | {r.Layout} |"));
    }
}
return 0;
