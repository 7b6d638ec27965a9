// The copy benchmark: one table of mixed types in PostgreSQL, copied to a CSV file and to another table, by psql's
// \copy and by Ferry's copy engine (the same code a node runs), in this one run, one after the other. Prints a
// markdown row per case with both rates and their ratio, and the peak resident memory of this process (Ferry's side:
// psql runs as its own process).
// Usage: Ferry.Bench.Copy --connection CONNSTRING --psql PATH [--rows N] [--rounds N] [--work DIR] [--parquet] [--csv-in]
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Ferry.Contracts.Protocol;
using Ferry.Engine.Access;
using Ferry.Engine.Copy;
using Ferry.Engine.Interactive;
using Npgsql;

string? connection = null, psql = null, work = null;
var rows = 1_000_000;
var rounds = 3;
var parquet = false;
var csvToTable = false;
string? duckdb = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--connection": connection = args[++i]; break;
        case "--psql": psql = args[++i]; break;
        case "--rows": rows = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--work": work = args[++i]; break;
        case "--rounds": rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--parquet": parquet = true; break;
        case "--csv-in": csvToTable = true; break;
        case "--duckdb": duckdb = args[++i]; break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}
if (connection is null || psql is null)
{
    Console.Error.WriteLine("Usage: Ferry.Bench.Copy --connection CONNSTRING --psql PATH [--rows N] [--work DIR]");
    return 2;
}
work = Path.GetFullPath(work ?? Path.Combine(Path.GetTempPath(), "ferry-bench-copy"));
Directory.CreateDirectory(work);
var builder = new NpgsqlConnectionStringBuilder(connection);

async Task ExecAsync(string sql)
{
    await using var c = new NpgsqlConnection(connection);
    await c.OpenAsync();
    await using var command = new NpgsqlCommand(sql, c) { CommandTimeout = 0 };
    await command.ExecuteNonQueryAsync();
}

await ExecAsync("DROP TABLE IF EXISTS bench_src, bench_psql, bench_ferry");
await ExecAsync("CREATE TABLE bench_src (id bigint PRIMARY KEY, qty integer, amount numeric(18,4), ratio double precision, flag boolean, " +
                "label text, created timestamptz, day date, ref uuid)");
await ExecAsync($"INSERT INTO bench_src SELECT g, g % 1000, g * 1.2345, g / 7.0, g % 2 = 0, 'label ' || g || CASE WHEN g % 10 = 0 THEN ', with \"quotes\"' ELSE '' END, " +
                $"timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second', date '2026-01-01' + (g % 3650), md5(g::text)::uuid FROM generate_series(1, {rows}) g");
await ExecAsync("ANALYZE bench_src");
await ExecAsync("CREATE TABLE bench_psql (LIKE bench_src)");
await ExecAsync("CREATE TABLE bench_ferry (LIKE bench_src)");

var env = new Dictionary<string, string> { ["PGHOST"] = builder.Host!, ["PGPORT"] = builder.Port.ToString(CultureInfo.InvariantCulture),
    ["PGUSER"] = builder.Username!, ["PGDATABASE"] = builder.Database! };
double RunShell(string script)
{
    var info = new ProcessStartInfo("bash", ["-c", script]) { RedirectStandardError = true, RedirectStandardOutput = true };
    foreach (var (k, v) in env) info.Environment[k] = v;
    var clock = Stopwatch.StartNew();
    using var process = Process.Start(info)!;
    process.StandardOutput.ReadToEnd();
    var error = process.StandardError.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0) throw new InvalidOperationException($"{script} failed: {error}");
    return clock.Elapsed.TotalSeconds;
}

var context = new EngineContext(NodeAccessPolicy.Default with { LocalMachineAccess = true, AllowedFolders = [work] }, _ => [], "bench");
JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();
var pg = Parse($$"""{"type": "PostgreSqlV2", "typeProperties": {"server": "{{builder.Host}}", "port": {{builder.Port}}, "database": "{{builder.Database}}", "username": "{{builder.Username}}", "sslMode": "disable"} }""");
var share = Parse($$"""{"type": "FileServer", "typeProperties": {"host": "{{work}}"} }""");
JsonObject Table(string t) => Parse($$"""{"type": "PostgreSqlV2Table", "typeProperties": {"schema": "public", "table": "{{t}}"} }""");
var csv = Parse("""{"type": "DelimitedText", "typeProperties": {"location": {"type": "FileServerLocation", "fileName": "ferry.csv"}, "firstRowAsHeader": true}}""");
async Task<double> FerryAsync(JsonObject sourceDataset, JsonObject sourceLinked, JsonObject sinkDataset, JsonObject sinkLinked)
{
    var activity = Parse("""{"name": "bench", "typeProperties": {"source": {"type": "Source"}, "sink": {"type": "Sink"}}}""");
    var clock = Stopwatch.StartNew();
    await CopyActivity.RunAsync(new JobPayload(Guid.NewGuid(), Guid.NewGuid(), "bench", "Copy", activity, sourceDataset, sourceLinked, sinkDataset, sinkLinked, null, "bench"),
        context, (_, _) => Task.CompletedTask, _ => Task.CompletedTask, CancellationToken.None);
    return clock.Elapsed.TotalSeconds;
}

// The machine is shared: each case runs `rounds` times, psql and Ferry taking turns, and the medians are compared.
var times = new Dictionary<string, List<double>> { ["psqlCsv"] = [], ["ferryCsv"] = [], ["psqlTable"] = [], ["ferryTable"] = [] };
for (var round = 0; round < rounds; round++)
{
    times["psqlCsv"].Add(RunShell($"{psql} -q -c \"\\copy (SELECT * FROM bench_src) TO '{work}/psql.csv' CSV HEADER\""));
    times["ferryCsv"].Add(await FerryAsync(Table("bench_src"), pg, csv, share));
    await ExecAsync("TRUNCATE bench_psql, bench_ferry");
    times["psqlTable"].Add(RunShell($"{psql} -q -c \"\\copy (SELECT * FROM bench_src) TO STDOUT\" | {psql} -q -c \"\\copy bench_psql FROM STDIN\""));
    times["ferryTable"].Add(await FerryAsync(Table("bench_src"), pg, Table("bench_ferry"), pg));
    Console.Error.WriteLine($"round {round + 1}: " + string.Join(", ", times.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key} {t.Value[^1]:F2} s"))));
}
double Median(string key) => times[key].Order().ElementAt(times[key].Count / 2);
var (psqlCsv, ferryCsv, psqlTable, ferryTable) = (Median("psqlCsv"), Median("ferryCsv"), Median("psqlTable"), Median("ferryTable"));
var peak = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)).Split(':')[1].Trim();

string Row(string what, double psqlSeconds, double ferrySeconds) => string.Create(CultureInfo.InvariantCulture,
    $"| {what} | {rows:N0} | {psqlSeconds:F2} s ({rows / psqlSeconds:N0} rows/s) | {ferrySeconds:F2} s ({rows / ferrySeconds:N0} rows/s) | {psqlSeconds / ferrySeconds:F2} |");
Console.WriteLine($"Medians of {rounds} rounds.");
Console.WriteLine("| case | rows | psql \\copy | Ferry engine | Ferry / psql rate |");
Console.WriteLine("| --- | --- | --- | --- | --- |");
Console.WriteLine(Row("PostgreSQL → CSV file", psqlCsv, ferryCsv));
Console.WriteLine(Row("PostgreSQL → PostgreSQL", psqlTable, ferryTable));
Console.WriteLine($"Peak resident memory of the Ferry side (this process): {peak}");
if (parquet)
{
    // Parquet (issue 5): Ferry against psql's CSV, and against DuckDB (from npm, tools/duckdb) on the same files.
    string Duck(params string[] sql) => "node " + Path.Combine(duckdb!, "query.mjs") + " " + string.Join(" ", sql.Select(q => "'" + q.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
    JsonObject ParquetFile(string name) => Parse($$"""{"type": "Parquet", "typeProperties": {"location": {"type": "FileServerLocation", "fileName": "{{name}}"}, "compressionCodec": "snappy"} }""");
    var csvIn = Parse("""{"type": "DelimitedText", "typeProperties": {"location": {"type": "FileServerLocation", "fileName": "psql.csv"}, "firstRowAsHeader": true}}""");
    var parquetTimes = new Dictionary<string, List<double>> { ["psqlCsv"] = [], ["ferryPgParquet"] = [], ["ferryCsvParquet"] = [], ["duckCsvParquet"] = [], ["ferryParquetPg"] = [], ["duckParquetMemory"] = [] };
    for (var round = 0; round < rounds; round++)
    {
        parquetTimes["psqlCsv"].Add(RunShell($"{psql} -q -c \"\\copy (SELECT * FROM bench_src) TO '{work}/psql.csv' CSV HEADER\""));
        parquetTimes["ferryPgParquet"].Add(await FerryAsync(Table("bench_src"), pg, ParquetFile("ferry.parquet"), share));
        parquetTimes["ferryCsvParquet"].Add(await FerryAsync(csvIn, share, ParquetFile("ferry-csv.parquet"), share));
        parquetTimes["duckCsvParquet"].Add(RunShell(Duck($"COPY (SELECT * FROM read_csv('{work}/psql.csv', header = true, all_varchar = true)) TO '{work}/duck-csv.parquet' (FORMAT parquet, COMPRESSION snappy)")));
        await ExecAsync("TRUNCATE bench_ferry");
        parquetTimes["ferryParquetPg"].Add(await FerryAsync(ParquetFile("ferry.parquet"), share, Table("bench_ferry"), pg));
        parquetTimes["duckParquetMemory"].Add(RunShell(Duck($"CREATE TABLE t AS SELECT * FROM read_parquet('{work}/ferry.parquet')", "SELECT count(*) FROM t")));
        Console.Error.WriteLine($"parquet round {round + 1}: " + string.Join(", ", parquetTimes.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key} {t.Value[^1]:F2} s"))));
    }
    RunShell(Duck($"COPY (SELECT * FROM read_parquet('{work}/ferry.parquet')) TO '{work}/duck.parquet' (FORMAT parquet, COMPRESSION snappy)"));
    double M(string key) => parquetTimes[key].Order().ElementAt(parquetTimes[key].Count / 2);
    var (ferrySize, duckSize) = (new FileInfo(Path.Combine(work, "ferry.parquet")).Length, new FileInfo(Path.Combine(work, "duck.parquet")).Length);
    Console.WriteLine();
    Console.WriteLine($"Parquet (snappy), medians of {rounds} rounds; DuckDB's times include starting node (about 0.1 s).");
    Console.WriteLine("| case | rows | peer | Ferry engine | ratio |");
    Console.WriteLine("| --- | --- | --- | --- | --- |");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| PostgreSQL → Parquet vs psql → CSV | {rows:N0} | {M("psqlCsv"):F2} s | {M("ferryPgParquet"):F2} s | rate {M("psqlCsv") / M("ferryPgParquet"):F2} of psql's |"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| CSV → Parquet (all text) vs DuckDB | {rows:N0} | {M("duckCsvParquet"):F2} s | {M("ferryCsvParquet"):F2} s | time {M("ferryCsvParquet") / M("duckCsvParquet"):F2}× DuckDB's |"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| Parquet → PostgreSQL vs DuckDB into memory | {rows:N0} | {M("duckParquetMemory"):F2} s | {M("ferryParquetPg"):F2} s | time {M("ferryParquetPg") / M("duckParquetMemory"):F2}× DuckDB's |"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| Parquet size, same rows, snappy | {rows:N0} | {duckSize / 1048576.0:F1} MB | {ferrySize / 1048576.0:F1} MB | {(double)ferrySize / duckSize:F2}× DuckDB's |"));
    Console.WriteLine($"Peak resident memory of the Ferry side (this process): {File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)).Split(':')[1].Trim()}");
}
if (csvToTable)
{
    // CSV into a typed table: psql's \copy FROM the CSV it wrote, against Ferry's DelimitedText source into the same table
    // (every field parsed into its column's type).
    var csvFile = Parse("""{"type": "DelimitedText", "typeProperties": {"location": {"type": "FileServerLocation", "fileName": "psql.csv"}, "firstRowAsHeader": true}}""");
    var csvTimes = new Dictionary<string, List<double>> { ["psqlCsvIn"] = [], ["ferryCsvIn"] = [] };
    for (var round = 0; round < rounds; round++)
    {
        await ExecAsync("TRUNCATE bench_psql, bench_ferry");
        csvTimes["psqlCsvIn"].Add(RunShell($"{psql} -q -c \"\\copy bench_psql FROM '{work}/psql.csv' CSV HEADER\""));
        csvTimes["ferryCsvIn"].Add(await FerryAsync(csvFile, share, Table("bench_ferry"), pg));
        Console.Error.WriteLine($"csv-in round {round + 1}: " + string.Join(", ", csvTimes.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key} {t.Value[^1]:F2} s"))));
    }
    double C(string key) => csvTimes[key].Order().ElementAt(csvTimes[key].Count / 2);
    Console.WriteLine();
    Console.WriteLine(Row("CSV file → PostgreSQL", C("psqlCsvIn"), C("ferryCsvIn")));
}
await ExecAsync("DROP TABLE IF EXISTS bench_src, bench_psql, bench_ferry");
return 0;
