using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Engine.Access;
using Ferry.Engine.Connectors.Postgres;
using Ferry.Engine.Copy;
using Ferry.Engine.Interactive;
using Npgsql;

namespace Ferry.Engine.Tests;

/// <summary>The Copy activity against the real PostgreSQL: a table of many types to a CSV file and back, equal row for row.</summary>
public sealed class CopyActivityTests : IAsyncLifetime, IDisposable
{
    private readonly string _database = "copy_" + Guid.NewGuid().ToString("N")[..8];
    private readonly NpgsqlConnectionStringBuilder _admin = Sql.Admin();
    private readonly TempFolder _files = new();
    private string Db => new NpgsqlConnectionStringBuilder(_admin.ConnectionString) { Database = _database }.ConnectionString;
    private EngineContext Context => Support.Context(NodeAccessPolicy.Default with { LocalMachineAccess = true, AllowedFolders = [_files.Path] });

    public async Task InitializeAsync()
    {
        await Sql.ExecAsync(_admin.ConnectionString, $"CREATE DATABASE {_database}");
        await Sql.ExecAsync(Db,
            [.. Sql.EveryTypeTable("src", 3000, interval: true), "CREATE TABLE dst (LIKE src INCLUDING ALL)"]);
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await Sql.ExecAsync(_admin.ConnectionString, $"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
    }

    public void Dispose() => _files.Dispose();

    private JsonObject PgLinked => Stores.Postgres(_admin, _database);

    private JsonObject FileLinked => Stores.FileServer(_files.Path);

    private static JsonObject PgTable(string table) => Stores.PgTable(table);

    private static JsonObject Csv(string fileName) => JsonNode.Parse(Support.Json(new
    {
        type = "DelimitedText", typeProperties = new { location = new { type = "FileServerLocation", folderPath = "out", fileName }, firstRowAsHeader = true },
    }))!.AsObject();

    private Task<JsonObject> CopyAsync(JsonObject sourceDataset, JsonObject sourceLinked, JsonObject sinkDataset, JsonObject sinkLinked, object? sink = null,
        object? extra = null, Guid? activityRunId = null, CancellationToken ct = default) =>
        Stores.CopyAsync(Context, sourceDataset, sourceLinked, sinkDataset, sinkLinked, sink, extra, activityRunId, ct);

    [Fact]
    public async Task A_table_of_every_common_type_goes_to_csv_and_back_unchanged()
    {
        var toCsv = await CopyAsync(PgTable("src"), PgLinked, Csv("src.csv"), FileLinked, extra: new { validateDataConsistency = true });
        var back = await CopyAsync(Csv("src.csv"), FileLinked, PgTable("dst"), PgLinked, extra: new { validateDataConsistency = true });

        Assert.Equal(3000, toCsv["rowsCopied"]!.GetValue<long>());
        Assert.Equal(3000, back["rowsCopied"]!.GetValue<long>());
        Assert.Equal("test-ir", back["effectiveIntegrationRuntime"]!.GetValue<string>());
        Assert.Equal("Verified", toCsv["dataConsistencyVerification"]!["VerificationResult"]!.GetValue<string>());
        Assert.Equal("Verified", back["dataConsistencyVerification"]!["VerificationResult"]!.GetValue<string>());
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM ((SELECT * FROM src EXCEPT SELECT * FROM dst) UNION ALL (SELECT * FROM dst EXCEPT SELECT * FROM src)) d"));
        Assert.Empty(Directory.GetFiles(Path.Combine(_files.Path, "out"), "*.tmp"));
    }

    [Theory]
    [InlineData("setOfObjects")]
    [InlineData("arrayOfObjects")]
    public async Task A_table_goes_to_json_and_back_unchanged(string filePattern)
    {
        var json = JsonNode.Parse(Support.Json(new
        {
            type = "Json", typeProperties = new { location = new { type = "FileServerLocation", folderPath = "out", fileName = "src.json" } },
        }))!.AsObject();

        await CopyAsync(PgTable("src"), PgLinked, json, FileLinked, new { type = "JsonSink", formatSettings = new { type = "JsonWriteSettings", filePattern } });
        var back = await CopyAsync(json, FileLinked, PgTable("dst"), PgLinked);

        Assert.Equal(3000, back["rowsCopied"]!.GetValue<long>());
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM ((SELECT * FROM src EXCEPT SELECT * FROM dst) UNION ALL (SELECT * FROM dst EXCEPT SELECT * FROM src)) d"));
        var firstChar = (char)File.ReadAllBytes(Path.Combine(_files.Path, "out", "src.json"))[0];
        Assert.Equal(filePattern == "arrayOfObjects" ? '[' : '{', firstChar);
    }

    [Fact]
    public async Task A_table_goes_to_sqlite_and_back_unchanged()
    {
        var sqliteLinked = JsonNode.Parse(Support.Json(new { type = "Sqlite", typeProperties = new { path = Path.Combine(_files.Path, "copy.db") } }))!.AsObject();
        var sqliteTable = JsonNode.Parse(Support.Json(new { type = "SqliteTable", typeProperties = new { table = "src" } }))!.AsObject();

        await CopyAsync(PgTable("src"), PgLinked, sqliteTable, sqliteLinked, new { type = "SqliteSink", tableOption = "autoCreate" },
            extra: new { validateDataConsistency = true });
        var back = await CopyAsync(sqliteTable, sqliteLinked, PgTable("dst"), PgLinked);

        Assert.Equal(3000, back["rowsCopied"]!.GetValue<long>());
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM ((SELECT * FROM src EXCEPT SELECT * FROM dst) UNION ALL (SELECT * FROM dst EXCEPT SELECT * FROM src)) d"));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task A_second_attempt_of_an_activity_run_whose_load_committed_loads_nothing_again()
    {
        // What a re-leased copy meets when the first node committed and died before it could report.
        var attempt = Guid.NewGuid();
        var sqliteLinked = JsonNode.Parse(Support.Json(new { type = "Sqlite", typeProperties = new { path = Path.Combine(_files.Path, "once.db") } }))!.AsObject();
        var sqliteTable = JsonNode.Parse(Support.Json(new { type = "SqliteTable", typeProperties = new { table = "src" } }))!.AsObject();
        var toPostgres = new { type = "PostgreSqlV2Sink", preCopyScript = "INSERT INTO dst (id) VALUES (-1)" };

        var first = await CopyAsync(PgTable("src"), PgLinked, PgTable("dst"), PgLinked, toPostgres, activityRunId: attempt);
        var second = await CopyAsync(PgTable("src"), PgLinked, PgTable("dst"), PgLinked, toPostgres, activityRunId: attempt);
        var firstSqlite = await CopyAsync(PgTable("src"), PgLinked, sqliteTable, sqliteLinked, new { type = "SqliteSink", tableOption = "autoCreate" }, activityRunId: attempt);
        var secondSqlite = await CopyAsync(PgTable("src"), PgLinked, sqliteTable, sqliteLinked, new { type = "SqliteSink", tableOption = "autoCreate" }, activityRunId: attempt);

        Assert.Null(first["committedByEarlierAttempt"]);
        Assert.True(second["committedByEarlierAttempt"]!.GetValue<bool>());
        Assert.Equal(3000, second["rowsCopied"]!.GetValue<long>());
        Assert.True(secondSqlite["committedByEarlierAttempt"]!.GetValue<bool>());
        Assert.Equal(3000, firstSqlite["rowsCopied"]!.GetValue<long>());
        // The rows and the pre-copy script's row, once: the second attempt ran neither.
        Assert.Equal(3001L, await ScalarAsync("SELECT count(*) FROM dst"));
        // Another activity run loads again.
        var another = await CopyAsync(PgTable("src"), PgLinked, PgTable("dst"), PgLinked, new { type = "PostgreSqlV2Sink", preCopyScript = "DELETE FROM dst" });
        Assert.Null(another["committedByEarlierAttempt"]);
        Assert.Equal(3000L, await ScalarAsync("SELECT count(*) FROM dst"));
        await using var sqlite = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_files.Path, "once.db")};Pooling=false");
        await sqlite.OpenAsync();
        await using var count = new Microsoft.Data.Sqlite.SqliteCommand("SELECT count(*) FROM src", sqlite);
        Assert.Equal(3000L, (long)(await count.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Upsert_twice_gives_the_same_table_and_autoCreate_makes_a_missing_one()
    {
        var upsert = new { type = "PostgreSqlV2Sink", writeBehavior = "upsert", upsertSettings = new { keys = new[] { "id" } } };
        await CopyAsync(PgTable("src"), PgLinked, PgTable("dst"), PgLinked, upsert);
        await CopyAsync(PgTable("src"), PgLinked, PgTable("dst"), PgLinked, upsert);
        await CopyAsync(PgTable("src"), PgLinked, PgTable("created"), PgLinked, new { type = "PostgreSqlV2Sink", tableOption = "autoCreate" });

        Assert.Equal(3000L, await ScalarAsync("SELECT count(*) FROM dst"));
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM (SELECT * FROM src EXCEPT SELECT * FROM dst) d"));
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM (SELECT * FROM src EXCEPT SELECT * FROM created) d"));
    }

    [Fact]
    public async Task A_value_that_does_not_fit_fails_with_row_and_column_and_leaves_the_table_as_it_was()
    {
        Directory.CreateDirectory(Path.Combine(_files.Path, "out"));
        await File.WriteAllTextAsync(Path.Combine(_files.Path, "out", "bad.csv"), "id,small\n1,5\n2,not-a-number\n");
        await Sql.ExecAsync(Db, "CREATE TABLE narrow (id int, small smallint)");

        var e = await Assert.ThrowsAsync<DataStoreException>(() => CopyAsync(Csv("bad.csv"), FileLinked, PgTable("narrow"), PgLinked));

        Assert.Equal(ErrorCodes.InvalidData, e.Code);
        Assert.Contains("Row 2, column 'small'", e.Message, StringComparison.Ordinal);
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM narrow"));
    }

    [Fact]
    public async Task Skipping_incompatible_rows_logs_exactly_the_bad_ones_and_copies_the_rest()
    {
        Directory.CreateDirectory(Path.Combine(_files.Path, "out"));
        await File.WriteAllTextAsync(Path.Combine(_files.Path, "out", "mixed.csv"), "id,small\n1,5\n2,oops\n3,7\n4,99999\n5,9\n");
        await Sql.ExecAsync(Db, "CREATE TABLE narrow (id int, small smallint)");
        var logs = Path.Combine(_files.Path, "skipped");

        var output = await CopyAsync(Csv("mixed.csv"), FileLinked, PgTable("narrow"), PgLinked,
            extra: new { enableSkipIncompatibleRow = true, redirectIncompatibleRowSettings = new { path = logs } });

        Assert.Equal((5L, 3L, 2L), (output["rowsRead"]!.GetValue<long>(), output["rowsCopied"]!.GetValue<long>(), output["rowsSkipped"]!.GetValue<long>()));
        Assert.Equal(3L, await ScalarAsync("SELECT count(*) FROM narrow"));
        var log = File.ReadAllLines(output["redirectRowPath"]!.GetValue<string>());
        Assert.Equal(3, log.Length); // header + the two bad rows
        Assert.StartsWith("2,", log[1], StringComparison.Ordinal);
        Assert.Contains("'oops'", log[1], StringComparison.Ordinal);
        Assert.StartsWith("4,", log[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_translator_maps_columns_by_name_and_by_ordinal()
    {
        Directory.CreateDirectory(Path.Combine(_files.Path, "out"));
        await File.WriteAllTextAsync(Path.Combine(_files.Path, "out", "raw.csv"), "x,ignored,y\n10,zz,first\n20,zz,second\n");
        await Sql.ExecAsync(Db, "CREATE TABLE mapped (id int, label text)");

        await CopyAsync(Csv("raw.csv"), FileLinked, PgTable("mapped"), PgLinked, extra: new
        {
            translator = new
            {
                type = "TabularTranslator",
                mappings = new object[] { new { source = new { name = "x" }, sink = new { name = "id" } }, new { source = new { ordinal = 3 }, sink = new { name = "label" } } },
            },
        });

        Assert.Equal(30L, await ScalarAsync("SELECT sum(id) FROM mapped"));
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM mapped WHERE id = 20 AND label = 'second'"));
    }

    [Fact]
    public async Task Wildcards_and_recursive_read_every_matching_file_once_and_never_through_a_link_out()
    {
        var root = Path.Combine(_files.Path, "in");
        Directory.CreateDirectory(Path.Combine(root, "2026", "11"));
        await File.WriteAllTextAsync(Path.Combine(root, "a.csv"), "id,small\n1,1\n2,2\n");
        await File.WriteAllTextAsync(Path.Combine(root, "2026", "b.csv"), "id,small\n3,3\n");
        await File.WriteAllTextAsync(Path.Combine(root, "2026", "11", "c.csv"), "id,small\n4,4\n5,5\n");
        await File.WriteAllTextAsync(Path.Combine(root, "notes.txt"), "not a csv");
        var outside = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "ferry-outside-" + Guid.NewGuid().ToString("N"))).FullName;
        await File.WriteAllTextAsync(Path.Combine(outside, "secret.csv"), "id,small\n99,99\n");
        Directory.CreateSymbolicLink(Path.Combine(root, "link"), outside);
        await Sql.ExecAsync(Db, "CREATE TABLE many (id int, small smallint)");
        var folder = JsonNode.Parse(Support.Json(new
        {
            type = "DelimitedText", typeProperties = new { location = new { type = "FileServerLocation", folderPath = "in" }, firstRowAsHeader = true },
        }))!.AsObject();
        try
        {
            var output = await CopyAsync(folder, FileLinked, PgTable("many"), PgLinked, extra: new
            {
                source = new { type = "DelimitedTextSource", storeSettings = new { type = "FileServerReadSettings", recursive = true, wildcardFileName = "*.csv" } },
            });

            Assert.Equal((3, 5L), (output["filesRead"]!.GetValue<int>(), output["rowsCopied"]!.GetValue<long>()));
            Assert.Equal(15L, await ScalarAsync("SELECT sum(id) FROM many"));
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public async Task A_wildcard_folder_path_reads_the_matching_folders_only()
    {
        var root = Path.Combine(_files.Path, "in");
        foreach (var (folder, id) in new[] { ("2025-12", 1), ("2026-01", 2), ("2026-02", 3), ("archive", 4) })
        {
            Directory.CreateDirectory(Path.Combine(root, folder, "day"));
            await File.WriteAllTextAsync(Path.Combine(root, folder, "part.csv"), $"id,small\n{id},{id}\n");
            await File.WriteAllTextAsync(Path.Combine(root, folder, "day", "part.csv"), $"id,small\n{id * 10},{id}\n");
        }
        await Sql.ExecAsync(Db, "CREATE TABLE months (id int, small smallint)");
        var dataset = JsonNode.Parse(Support.Json(new { type = "DelimitedText", typeProperties = new { location = new { type = "FileServerLocation" }, firstRowAsHeader = true } }))!.AsObject();

        var output = await CopyAsync(dataset, FileLinked, PgTable("months"), PgLinked, extra: new
        {
            source = new { type = "DelimitedTextSource", storeSettings = new { type = "FileServerReadSettings", wildcardFolderPath = "in/2026-??", wildcardFileName = "*.csv" } },
        });
        Assert.Equal((2, 5L), (output["filesRead"]!.GetValue<int>(), await ScalarAsync("SELECT sum(id) FROM months")));

        var deeper = await CopyAsync(dataset, FileLinked, PgTable("months"), PgLinked, extra: new
        {
            source = new { type = "DelimitedTextSource", storeSettings = new { type = "FileServerReadSettings", wildcardFolderPath = "in/*/d*", wildcardFileName = "*.csv" } },
        });
        Assert.Equal(4, deeper["filesRead"]!.GetValue<int>());
        Assert.Equal(5L + 100, await ScalarAsync("SELECT sum(id) FROM months"));

        var none = await Assert.ThrowsAsync<DataStoreException>(() => CopyAsync(dataset, FileLinked, PgTable("months"), PgLinked, extra: new
        {
            source = new { type = "DelimitedTextSource", storeSettings = new { type = "FileServerReadSettings", wildcardFolderPath = "in/1999-*", wildcardFileName = "*.csv" } },
        }));
        Assert.Equal(ErrorCodes.PathNotFound, none.Code);
        Assert.Contains("in/1999-*", none.Message);
    }

    [Fact]
    public async Task An_http_server_is_a_file_source_with_its_request_settings()
    {
        using var listener = new System.Net.HttpListener();
        var port = Support.FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var serving = Task.Run(async () =>
        {
            while (true)
            {
                var context = await listener.GetContextAsync();
                if (context.Request.Url!.AbsolutePath == "/exports/rows.csv.gz" && context.Request.Headers["X-Api-Key"] == "k1" && context.Request.HttpMethod == "POST")
                {
                    using var body = new StreamReader(context.Request.InputStream);
                    var filter = await body.ReadToEndAsync();
                    await using (var gzip = new System.IO.Compression.GZipStream(context.Response.OutputStream, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
                        await gzip.WriteAsync(System.Text.Encoding.UTF8.GetBytes($"id,small\n1,{filter.Length}\n2,2\n"));
                }
                else
                {
                    context.Response.StatusCode = 404;
                }
                context.Response.Close();
            }
        });
        await Sql.ExecAsync(Db, "CREATE TABLE fetched (id int, small smallint)");
        var linked = JsonNode.Parse(Support.Json(new { type = "HttpServer", typeProperties = new { url = $"http://127.0.0.1:{port}/", authenticationType = "Anonymous" } }))!.AsObject();
        JsonObject Dataset(string relativeUrl) => JsonNode.Parse(Support.Json(new
        {
            type = "DelimitedText", typeProperties = new { location = new { type = "HttpServerLocation", relativeUrl }, firstRowAsHeader = true, compressionCodec = "gzip" },
        }))!.AsObject();
        var source = new { type = "DelimitedTextSource", storeSettings = new { type = "HttpReadSettings", requestMethod = "POST", additionalHeaders = "X-Api-Key: k1", requestBody = "abc" } };

        var output = await CopyAsync(Dataset("exports/rows.csv.gz"), linked, PgTable("fetched"), PgLinked, extra: new { source });

        Assert.Equal(2, output["rowsCopied"]!.GetValue<long>());
        Assert.Equal(1, output["filesRead"]!.GetValue<int>());
        Assert.True(output["dataRead"]!.GetValue<long>() > 0);
        // ids 1 and 2; small is the length of the request body the server saw (3) and 2.
        Assert.Equal(8L, await ScalarAsync("SELECT sum(id) + sum(small) FROM fetched"));
        var missing = await Assert.ThrowsAsync<DataStoreException>(() => CopyAsync(Dataset("exports/gone.csv"), linked, PgTable("fetched"), PgLinked, extra: new { source }));
        Assert.Equal(ErrorCodes.PathNotFound, missing.Code);
        Assert.Contains("exports/gone.csv", missing.Message);
        Assert.Equal(2L, await ScalarAsync("SELECT count(*) FROM fetched"));
        listener.Stop();
    }

    [Fact]
    public async Task A_dynamic_range_source_is_read_in_parallel_parts_and_every_row_arrives_once()
    {
        await Sql.ExecAsync(Db, "INSERT INTO src (id, note) VALUES (-50, 'below the bounds'), (99999, 'above the bounds')",
            "CREATE TABLE src_nullable AS SELECT * FROM src", "INSERT INTO src_nullable (id, note) VALUES (NULL, 'no id')");

        var table = await CopyAsync(PgTable("src"), PgLinked, PgTable("dst"), PgLinked, extra: new
        {
            parallelCopies = 3,
            source = new { type = "PostgreSqlV2Source", partitionOption = "DynamicRange", partitionSettings = new { partitionLowerBound = 1, partitionUpperBound = 3000 } },
        });
        Assert.Equal(3, table["usedParallelCopies"]!.GetValue<int>());
        Assert.Equal(3002, table["rowsCopied"]!.GetValue<long>());
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM ((SELECT * FROM src EXCEPT SELECT * FROM dst) UNION ALL (SELECT * FROM dst EXCEPT SELECT * FROM src)) d"));

        await Sql.ExecAsync(Db, "CREATE TABLE dst_query (id int, note text)");
        var query = await CopyAsync(PgTable("src_nullable"), PgLinked, PgTable("dst_query"), PgLinked, extra: new
        {
            parallelCopies = 4,
            source = new
            {
                type = "PostgreSqlV2Source", query = $"SELECT id, note FROM src_nullable WHERE {PostgresPartitions.Placeholder}",
                partitionOption = "DynamicRange", partitionSettings = new { partitionColumnName = "id" },
            },
        });
        Assert.Equal(4, query["usedParallelCopies"]!.GetValue<int>());
        Assert.Equal(3003L, await ScalarAsync("SELECT count(*) FROM dst_query"));
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM dst_query WHERE id IS NULL"));
        Assert.Equal(3002L, await ScalarAsync("SELECT count(DISTINCT id) FROM dst_query"));

        var unplaced = await Assert.ThrowsAsync<DataStoreException>(() => CopyAsync(PgTable("src"), PgLinked, PgTable("dst_query"), PgLinked, extra: new
        {
            source = new { type = "PostgreSqlV2Source", query = "SELECT id, note FROM src", partitionOption = "DynamicRange", partitionSettings = new { partitionColumnName = "id" } },
        }));
        Assert.Contains(PostgresPartitions.Placeholder, unplaced.Message);
    }

    [Fact]
    public async Task Parallel_copies_read_several_files_at_once_into_one_sink()
    {
        var root = Directory.CreateDirectory(Path.Combine(_files.Path, "many")).FullName;
        for (var f = 0; f < 7; f++)
            await File.WriteAllTextAsync(Path.Combine(root, $"part-{f}.csv"), "id,small\n" + string.Concat(Enumerable.Range(f * 1000, 1000).Select(i => $"{i},{i % 100}\n")));
        await Sql.ExecAsync(Db, "CREATE TABLE parts (id int PRIMARY KEY, small smallint)");
        var folder = JsonNode.Parse(Support.Json(new { type = "DelimitedText", typeProperties = new { location = new { type = "FileServerLocation", folderPath = "many" }, firstRowAsHeader = true } }))!.AsObject();

        var output = await CopyAsync(folder, FileLinked, PgTable("parts"), PgLinked, extra: new
        {
            parallelCopies = 3,
            source = new { type = "DelimitedTextSource", storeSettings = new { type = "FileServerReadSettings", wildcardFileName = "*.csv" } },
        });

        Assert.Equal((3, 7, 7000L), (output["usedParallelCopies"]!.GetValue<int>(), output["filesRead"]!.GetValue<int>(), output["rowsCopied"]!.GetValue<long>()));
        Assert.Equal(7000L * 6999 / 2, await ScalarAsync("SELECT sum(id) FROM parts"));
    }

    [Fact]
    public async Task A_cancelled_copy_leaves_no_file()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => CopyAsync(PgTable("src"), PgLinked, Csv("never.csv"), FileLinked, ct: cts.Token));
        Assert.False(File.Exists(Path.Combine(_files.Path, "out", "never.csv")));
        Assert.Empty(Directory.Exists(Path.Combine(_files.Path, "out")) ? Directory.GetFiles(Path.Combine(_files.Path, "out")) : []);
    }

    private Task<long> ScalarAsync(string sql) => Sql.ScalarAsync(Db, sql);

}
