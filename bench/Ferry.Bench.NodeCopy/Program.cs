// A copy through the whole system: a real ferry-server and ferry-node on loopback, a pipeline whose Copy activity takes
// a PostgreSQL table of mixed types to a CSV file on the node, and psql's \copy of the same table to a file in the
// same run. Reports both times and the node process's peak resident memory (VmHWM), the figure the 300 MB goal is about.
// Usage: Ferry.Bench.NodeCopy --bin DIR --connection CONNSTRING --psql PATH [--rows N] [--format csv|parquet]
using System.Diagnostics;
using System.Globalization;
using Ferry.Bench;
using Npgsql;

string? bin = null, connection = null, psql = null;
var rows = 10_000_000;
var format = "csv";
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--bin": bin = args[++i]; break;
        case "--connection": connection = args[++i]; break;
        case "--psql": psql = args[++i]; break;
        case "--rows": rows = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--format": format = args[++i]; break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}
if (bin is null || connection is null || psql is null)
{
    Console.Error.WriteLine("Usage: Ferry.Bench.NodeCopy --bin DIR --connection CONNSTRING --psql PATH [--rows N]");
    return 2;
}
var pg = new NpgsqlConnectionStringBuilder(connection);
async Task ExecAsync(string sql)
{
    await using var c = new NpgsqlConnection(connection);
    await c.OpenAsync();
    await using var command = new NpgsqlCommand(sql, c) { CommandTimeout = 0 };
    await command.ExecuteNonQueryAsync();
}
await ExecAsync("DROP TABLE IF EXISTS node_src");
await ExecAsync("CREATE TABLE node_src (id bigint PRIMARY KEY, qty integer, amount numeric(18,4), ratio double precision, flag boolean, " +
                "label text, created timestamptz, day date, ref uuid)");
await ExecAsync($"INSERT INTO node_src SELECT g, g % 1000, g * 1.2345, g / 7.0, g % 2 = 0, 'label ' || g || CASE WHEN g % 10 = 0 THEN ', with \"quotes\"' ELSE '' END, " +
                $"timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second', date '2026-01-01' + (g % 3650), md5(g::text)::uuid FROM generate_series(1, {rows}) g");
await ExecAsync("ANALYZE node_src");

await using var fleet = await FerryFleet.StartServerAsync(bin, "ferry-bench-node-copy-");
var files = Directory.CreateDirectory(Path.Combine(fleet.Work, "files")).FullName;
await fleet.StartNodeAsync("bench-ir", ["-alf", files], ["-elma"]);
var connectVia = """{"referenceName": "bench-ir", "type": "IntegrationRuntimeReference"}""";
await fleet.SendAsync(HttpMethod.Put, "/factories/default/linkedservices/pg", $$"""
    {"properties": {"type": "PostgreSqlV2", "connectVia": {{connectVia}},
      "typeProperties": {"server": "{{pg.Host}}", "port": {{pg.Port}}, "database": "{{pg.Database}}", "username": "{{pg.Username}}", "sslMode": "disable"} } }
    """);
await fleet.SendAsync(HttpMethod.Put, "/factories/default/linkedservices/share",
    $$"""{"properties": {"type": "FileServer", "connectVia": {{connectVia}}, "typeProperties": {"host": "{{files}}"} } }""");
await fleet.SendAsync(HttpMethod.Put, "/factories/default/datasets/table", """
    {"properties": {"type": "PostgreSqlV2Table", "linkedServiceName": {"referenceName": "pg", "type": "LinkedServiceReference"},
      "typeProperties": {"schema": "public", "table": "node_src"} } }
    """);
await fleet.SendAsync(HttpMethod.Put, "/factories/default/datasets/csv", format == "parquet"
    ? """
      {"properties": {"type": "Parquet", "linkedServiceName": {"referenceName": "share", "type": "LinkedServiceReference"},
        "typeProperties": {"location": {"type": "FileServerLocation", "fileName": "ferry.parquet"}, "compressionCodec": "snappy"} } }
      """
    : """
      {"properties": {"type": "DelimitedText", "linkedServiceName": {"referenceName": "share", "type": "LinkedServiceReference"},
        "typeProperties": {"location": {"type": "FileServerLocation", "fileName": "ferry.csv"}, "firstRowAsHeader": true} } }
      """);
await fleet.SendAsync(HttpMethod.Put, "/factories/default/pipelines/export", """
    {"properties": {"activities": [{"name": "Export", "type": "Copy", "inputs": [{"referenceName": "table", "type": "DatasetReference"}],
      "outputs": [{"referenceName": "csv", "type": "DatasetReference"}], "typeProperties": {"source": {"type": "PostgreSqlV2Source"}, "sink": {"type": "Sink"}}}]}}
    """);

var info = new ProcessStartInfo("bash", ["-c", $"{psql} -q -c \"\\copy (SELECT * FROM node_src) TO '{files}/psql.csv' CSV HEADER\""]) { RedirectStandardError = true };
info.Environment["PGHOST"] = pg.Host;
info.Environment["PGPORT"] = pg.Port.ToString(CultureInfo.InvariantCulture);
info.Environment["PGUSER"] = pg.Username;
info.Environment["PGDATABASE"] = pg.Database;
var clock = Stopwatch.StartNew();
using (var process = Process.Start(info)!)
{
    var error = await process.StandardError.ReadToEndAsync();
    await process.WaitForExitAsync();
    if (process.ExitCode != 0)
        throw new InvalidOperationException($"psql failed: {error}");
}
var psqlSeconds = clock.Elapsed.TotalSeconds;

var idle = Memory(fleet.Node!.Id, "VmRSS");
var run = await fleet.RunAsync("export", TimeSpan.FromMilliseconds(200));
if (run["status"]!.GetValue<string>() != "Succeeded")
    throw new InvalidOperationException($"the copy did not succeed: {run.ToJsonString()}");
var activity = (await fleet.SendAsync(HttpMethod.Post, $"/factories/default/pipelineruns/{run["runId"]!.GetValue<string>()}/queryActivityruns", "{}"))!["value"]![0]!;
var copied = activity["output"]!["rowsCopied"]!.GetValue<long>();
var ferrySeconds = (DateTimeOffset.Parse(activity["activityRunEnd"]!.GetValue<string>(), CultureInfo.InvariantCulture)
                    - DateTimeOffset.Parse(activity["activityRunStart"]!.GetValue<string>(), CultureInfo.InvariantCulture)).TotalSeconds;
var peak = Memory(fleet.Node!.Id, "VmHWM");
await ExecAsync("DROP TABLE IF EXISTS node_src");

Console.WriteLine($"| rows | psql \\copy to CSV | Ferry node, Copy activity to {(format == "parquet" ? "Parquet (snappy)" : "CSV")} | Ferry / psql rate | node memory idle | node peak memory |");
Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"| {copied:N0} | {psqlSeconds:F2} s | {ferrySeconds:F2} s | {psqlSeconds / ferrySeconds:F2} | {idle / 1024.0:F0} MB | {peak / 1024.0:F0} MB |"));
return copied == rows ? 0 : 1;

static long Memory(int pid, string field) =>
    long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal)).Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
