using System.Globalization;
using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Engine.Access;
using Ferry.Engine.Copy;
using Ferry.Engine.Interactive;
using Npgsql;

namespace Ferry.Engine.Tests;

/// <summary>
/// Parquet without Java: files Ferry writes are read by DuckDB with the same values, files DuckDB writes (each codec,
/// dictionary and plain pages) are read by Ferry with the same values, and damaged files fail with a clear message.
/// </summary>
public sealed class ParquetTests : IAsyncLifetime, IDisposable
{
    private readonly string _database = "parquet_" + Guid.NewGuid().ToString("N")[..8];
    private readonly NpgsqlConnectionStringBuilder _admin = Sql.Admin();
    private readonly TempFolder _files = new();
    private string Db => new NpgsqlConnectionStringBuilder(_admin.ConnectionString) { Database = _database }.ConnectionString;
    private EngineContext Context => Support.Context(NodeAccessPolicy.Default with { LocalMachineAccess = true, AllowedFolders = [_files.Path] });

    // The same figure computed by DuckDB on a Parquet file and by PostgreSQL on a table: every type, nulls included.
    private static readonly (string Name, string DuckDb, string Postgres)[] Figures =
    [
        ("rows", "count(*)", "count(*)"),
        ("small", "sum(small)", "sum(small)"),
        ("big", "sum(big)", "sum(big)"),
        ("amount", "CAST(sum(amount) AS VARCHAR)", "sum(amount)::text"),
        ("r", "count(DISTINCT r)", "count(DISTINCT r)"),
        ("d", "count(DISTINCT d)", "count(DISTINCT d)"),
        ("flag", "count(*) FILTER (WHERE flag)", "count(*) FILTER (WHERE flag)"),
        ("note", "md5(string_agg(note, '|' ORDER BY id))", "md5(string_agg(note, '|' ORDER BY id))"),
        ("day", "sum(day - DATE '1970-01-01')", "sum(day - DATE '1970-01-01')"),
        ("at", "sum(epoch_us(\"at\"))", "sum((extract(epoch from at) * 1000000)::bigint)"),
        ("at_tz", "sum(epoch_us(at_tz))", "sum((extract(epoch from at_tz) * 1000000)::bigint)"),
        ("t", "count(t)", "count(t)"),
        ("u", "md5(string_agg(CAST(u AS VARCHAR), '|' ORDER BY id))", "md5(string_agg(u::text, '|' ORDER BY id))"),
        ("raw", "md5(string_agg(lower(hex(raw)), '|' ORDER BY id))", "md5(string_agg(encode(raw, 'hex'), '|' ORDER BY id))"),
        ("doc", "md5(string_agg(CAST(doc AS VARCHAR), '|' ORDER BY id))", "md5(string_agg(doc::text, '|' ORDER BY id))"),
    ];

    public async Task InitializeAsync()
    {
        await Sql.ExecAsync(_admin.ConnectionString, $"CREATE DATABASE {_database}");
        await Sql.ExecAsync(Db,
            // No interval column: Parquet's INTERVAL keeps whole milliseconds.
            [.. Sql.EveryTypeTable("src", 5000, interval: false), "INSERT INTO src (id) VALUES (0)"]);
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

    private static JsonObject ParquetFile(string fileName, string codec) => JsonNode.Parse(Support.Json(new
    {
        type = "Parquet", typeProperties = new { location = new { type = "FileServerLocation", fileName }, compressionCodec = codec },
    }))!.AsObject();

    private Task<JsonObject> CopyAsync(JsonObject sourceDataset, JsonObject sourceLinked, JsonObject sinkDataset, JsonObject sinkLinked, object? sink = null) =>
        Stores.CopyAsync(Context, sourceDataset, sourceLinked, sinkDataset, sinkLinked, sink, new { validateDataConsistency = true }, null, default);

    private static async Task<Dictionary<string, string>> DuckDbFiguresAsync(string file)
    {
        var row = (await DuckDb.QueryAsync($"SELECT {string.Join(", ", Figures.Select(f => $"{f.DuckDb} AS \"{f.Name}\""))} FROM read_parquet('{file}')"))[0]!.AsObject();
        return Figures.ToDictionary(f => f.Name, f => Text(row[f.Name]));
    }

    private async Task<Dictionary<string, string>> PostgresFiguresAsync(string table, IEnumerable<string> names)
    {
        var wanted = Figures.Where(f => names.Contains(f.Name)).ToList();
        await using var connection = new NpgsqlConnection(Db);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SET TIME ZONE 'UTC'; SELECT {string.Join(", ", wanted.Select(f => f.Postgres))} FROM {table}", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return wanted.Select((f, i) => (f.Name, Value: reader.IsDBNull(i) ? "null" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture)!))
            .ToDictionary(f => f.Name, f => f.Value);
    }

    private static string Text(JsonNode? value) => value is null ? "null" : value.GetValueKind() == System.Text.Json.JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();

    [Theory]
    [InlineData("none")]
    [InlineData("snappy")]
    [InlineData("gzip")]
    public async Task DuckDb_reads_what_Ferry_writes_with_the_same_values(string codec)
    {
        var output = await CopyAsync(PgTable("src"), PgLinked, ParquetFile($"ferry-{codec}.parquet", codec), FileLinked);

        Assert.Equal(5001, output["rowsCopied"]!.GetValue<long>());
        var duck = await DuckDbFiguresAsync(Path.Combine(_files.Path, $"ferry-{codec}.parquet"));
        Assert.Equal(await PostgresFiguresAsync("src", duck.Keys), duck);
        var types = await DuckDb.QueryAsync($"DESCRIBE SELECT * FROM read_parquet('{Path.Combine(_files.Path, $"ferry-{codec}.parquet")}')");
        Assert.Equal(["INTEGER", "SMALLINT", "BIGINT", "DECIMAL(38,10)", "FLOAT", "DOUBLE", "BOOLEAN", "VARCHAR", "DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIME", "UUID", "BLOB", "JSON"],
            types.Select(t => t!["column_type"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("uncompressed", "V1")]
    [InlineData("snappy", "V1")]
    [InlineData("gzip", "V1")]
    [InlineData("snappy", "V2")]
    public async Task Ferry_reads_what_DuckDb_writes_with_the_same_values(string codec, string version)
    {
        // V2: data pages v2, DELTA_BINARY_PACKED integers and dates, BYTE_STREAM_SPLIT floats, DELTA_LENGTH_BYTE_ARRAY bytes.
        var file = Path.Combine(_files.Path, $"duck-{codec}-{version}.parquet");
        // note repeats (dictionary pages); u is unique (a dictionary does not pay: plain pages); row groups of 1,000 rows.
        await DuckDb.QueryAsync($"COPY (SELECT i::INTEGER AS id, (i % 300)::SMALLINT AS small, i * 1000000007 AS big, (i * 1.0123456789)::DECIMAL(38,10) AS amount, " +
            "(i / 3)::REAL AS r, i / 7 AS d, i % 2 = 0 AS flag, CASE WHEN i % 5 = 0 THEN NULL ELSE 'plain ' || (i % 7) END AS note, DATE '2026-01-01' + i::INTEGER AS day, " +
            "TIMESTAMP '2026-01-01 00:00:00.123456' + to_minutes(i) AS \"at\", TIMESTAMPTZ '2026-01-01 00:00:00+02' + to_seconds(i) AS at_tz, TIME '12:34:56.789' AS t, " +
            "md5(i::VARCHAR)::UUID AS u, unhex(lpad(printf('%x', i), 8, '0')) AS raw, json_object('g', i) AS doc " +
            $"FROM range(1, 5001) r(i)) TO '{file}' (FORMAT parquet, COMPRESSION {codec}, ROW_GROUP_SIZE 1000, PARQUET_VERSION {version})");
        var duck = await DuckDbFiguresAsync(file);

        var output = await CopyAsync(ParquetFile($"duck-{codec}-{version}.parquet", codec), FileLinked, PgTable("from_duck"), PgLinked, new { type = "Sink", tableOption = "autoCreate" });

        Assert.Equal(5000, output["rowsCopied"]!.GetValue<long>());
        var loaded = await PostgresFiguresAsync("from_duck", duck.Keys.Where(k => k != "doc"));
        Assert.Equal(duck.Where(f => f.Key != "doc").ToDictionary(), loaded);
    }

    [Fact]
    public async Task Nanosecond_timestamps_and_times_keep_their_digits_from_duckdb_through_ferry_and_back()
    {
        var file = Path.Combine(_files.Path, "duck-ns.parquet");
        await DuckDb.QueryAsync("COPY (SELECT i AS id, make_timestamp_ns(1767323045123456700 + i * 1000000100) AS ns, " +
            "CASE WHEN i % 3 = 0 THEN NULL ELSE TIME_NS '12:34:56.1234567' END AS t FROM range(1, 2001) r(i)) " +
            $"TO '{file}' (FORMAT parquet)");

        await CopyAsync(ParquetFile("duck-ns.parquet", "none"), FileLinked, ParquetFile("ferry-ns.parquet", "snappy"), FileLinked);

        var ferryFile = Path.Combine(_files.Path, "ferry-ns.parquet");
        var types = await DuckDb.QueryAsync($"DESCRIBE SELECT ns, t FROM read_parquet('{ferryFile}')");
        Assert.Equal(["TIMESTAMP_NS", "TIME_NS"], types.Select(t => t!["column_type"]!.GetValue<string>()));
        const string Figure = "SELECT CAST(sum(epoch_ns(ns)) AS VARCHAR) AS ns, md5(string_agg(CAST(t AS VARCHAR), '|' ORDER BY id)) AS t, count(t) AS n FROM read_parquet('{0}')";
        var expected = (await DuckDb.QueryAsync(string.Format(CultureInfo.InvariantCulture, Figure, file)))[0]!.ToJsonString();
        Assert.Equal(expected, (await DuckDb.QueryAsync(string.Format(CultureInfo.InvariantCulture, Figure, ferryFile)))[0]!.ToJsonString());
    }

    [Fact]
    public async Task A_time_a_nanosecond_column_cannot_hold_is_refused_naming_it_and_utc_nanoseconds_read_back_in_duckdb()
    {
        var file = Path.Combine(_files.Path, "writer-ns.parquet");
        var columns = new List<CopyColumn> { new("at", typeof(DateTimeOffset)) { Nanoseconds = true }, new("local", typeof(DateTime)) { Nanoseconds = true } };
        var batch = new RowBatch(columns.Select(c => c.Type).ToList());
        var at = new DateTimeOffset(2026, 11, 22, 10, 11, 12, TimeSpan.FromHours(2)).AddTicks(1234567);
        ((ColumnBuffer<DateTimeOffset>)batch.Columns[0]).Set(0, at);
        ((ColumnBuffer<DateTime>)batch.Columns[1]).Set(0, new DateTime(2026, 11, 22, 10, 11, 12).AddTicks(7654321));
        ((ColumnBuffer<DateTimeOffset>)batch.Columns[0]).Set(1, new DateTimeOffset(2300, 1, 1, 0, 0, 0, TimeSpan.Zero));
        ((ColumnBuffer<DateTime>)batch.Columns[1]).SetNull(1);
        batch.Count = 2;
        await using (var stream = File.Create(file))
        {
            var writer = new Formats.Parquet.ParquetWriter(stream, columns, "snappy");
            Assert.Contains("1677-09-21 to 2262-04-11", writer.Check(batch, 1));
            Assert.StartsWith("column 'at'", writer.Check(batch, 1));
            Assert.Null(writer.Check(batch, 0));
            writer.Add(batch, 0);
            writer.Finish();
        }

        var schema = await DuckDb.QueryAsync($"SELECT logical_type FROM parquet_schema('{file}') WHERE name IN ('at', 'local') ORDER BY name");
        Assert.Equal(["TimestampType(isAdjustedToUTC=1, unit=TimeUnit(MILLIS=<null>, MICROS=<null>, NANOS=NanoSeconds()))",
            "TimestampType(isAdjustedToUTC=0, unit=TimeUnit(MILLIS=<null>, MICROS=<null>, NANOS=NanoSeconds()))"], schema.Select(r => r!["logical_type"]!.GetValue<string>()));
        var row = (await DuckDb.QueryAsync($"SELECT CAST(epoch_ns(\"at\") AS VARCHAR) AS at, CAST(epoch_ns(\"local\") AS VARCHAR) AS local FROM read_parquet('{file}')"))[0]!;
        // DuckDB reads a UTC-adjusted timestamp as its TIMESTAMPTZ, which keeps microseconds; the local one keeps every digit.
        Assert.Equal(((at.UtcTicks - DateTime.UnixEpoch.Ticks) / 10 * 1000).ToString(CultureInfo.InvariantCulture), row["at"]!.GetValue<string>());
        Assert.Equal("1795342272765432100", row["local"]!.GetValue<string>());
    }

    [Fact]
    public async Task Long_text_ends_row_groups_early_so_memory_stays_bounded_and_every_value_arrives()
    {
        // 200 values of 512 KB: 100 MB of text, more than a row group holds (64 MB), in far fewer rows than its row limit.
        var file = Path.Combine(_files.Path, "long.parquet");
        var columns = new List<CopyColumn> { new("id", typeof(int)), new("text", typeof(string)) };
        var batch = new RowBatch(columns.Select(c => c.Type).ToList());
        for (var i = 0; i < 200; i++)
        {
            ((ColumnBuffer<int>)batch.Columns[0]).Set(i, i);
            ((ColumnBuffer<string>)batch.Columns[1]).Set(i, new string((char)('a' + i % 26), 512 * 1024) + i.ToString(CultureInfo.InvariantCulture));
        }
        batch.Count = 200;
        await using (var stream = File.Create(file))
        {
            var writer = new Formats.Parquet.ParquetWriter(stream, columns, "snappy");
            writer.AddAll(batch);
            writer.Finish();
        }

        var groups = await DuckDb.QueryAsync($"SELECT count(DISTINCT row_group_id) AS n FROM parquet_metadata('{file}')");
        Assert.True(long.Parse(Text(groups[0]!["n"]), CultureInfo.InvariantCulture) >= 2);
        var row = (await DuckDb.QueryAsync($"SELECT count(*) AS n, sum(length(text)) AS chars, count(DISTINCT text) AS distinct_texts FROM read_parquet('{file}')"))[0]!;
        Assert.Equal(("200", (200L * 512 * 1024 + 10 + 90 * 2 + 100 * 3).ToString(CultureInfo.InvariantCulture), "200"),
            (Text(row["n"]), Text(row["chars"]), Text(row["distinct_texts"])));
    }

    [Fact]
    public async Task Every_type_goes_to_parquet_and_back_into_postgres_unchanged()
    {
        await Sql.ExecAsync(Db, "CREATE TABLE dst (LIKE src)");

        await CopyAsync(PgTable("src"), PgLinked, ParquetFile("round.parquet", "snappy"), FileLinked);
        var back = await CopyAsync(ParquetFile("round.parquet", "snappy"), FileLinked, PgTable("dst"), PgLinked);

        Assert.Equal(5001, back["rowsCopied"]!.GetValue<long>());
        Assert.Equal(0L, await Sql.ScalarAsync(Db, "SELECT count(*) FROM ((SELECT * FROM src EXCEPT SELECT * FROM dst) UNION ALL (SELECT * FROM dst EXCEPT SELECT * FROM src)) d"));
    }

    [Fact]
    public async Task A_parquet_dataset_previews_and_shows_its_schema_with_the_files_own_types()
    {
        await CopyAsync(PgTable("src"), PgLinked, ParquetFile("preview.parquet", "gzip"), FileLinked);
        var dataset = ParquetFile("preview.parquet", "gzip").ToJsonString();
        var policy = NodeAccessPolicy.Default with { AllowedFolders = [_files.Path] };

        var preview = await Support.RunAsync(policy, InteractiveOperation.Preview, FileLinked.ToJsonString(), dataset, rows: 3);
        var schema = await Support.RunAsync(policy, InteractiveOperation.GetSchema, FileLinked.ToJsonString(), dataset);

        Assert.True(preview.Succeeded, preview.Message);
        Assert.Equal(3, preview.Result!["rows"]!.AsArray().Count);
        Assert.True(preview.Result["truncated"]!.GetValue<bool>());
        Assert.True(schema.Succeeded, schema.Message);
        var types = schema.Result!["columns"]!.AsArray().ToDictionary(c => c!["name"]!.GetValue<string>(), c => c!["type"]!.GetValue<string>());
        Assert.Equal(("Int64", "Decimal", "DateTimeOffset", "Guid"), (types["big"], types["amount"], types["at_tz"], types["u"]));
    }

    [Fact]
    public async Task Damaged_files_fail_naming_the_file_and_what_is_wrong_and_never_crash()
    {
        await CopyAsync(PgTable("src"), PgLinked, ParquetFile("good.parquet", "snappy"), FileLinked);
        var good = await File.ReadAllBytesAsync(Path.Combine(_files.Path, "good.parquet"));
        await Sql.ExecAsync(Db, "CREATE TABLE sink (LIKE src)");

        async Task<DataStoreException?> ReadAsync(byte[] bytes, string name)
        {
            await File.WriteAllBytesAsync(Path.Combine(_files.Path, name), bytes);
            await using var source = new Formats.Parquet.ParquetSource(SourceFile.Local(Path.Combine(_files.Path, name)));
            try
            {
                var columns = await source.OpenAsync(default);
                var batch = new RowBatch(columns.Select(c => c.Type).ToList());
                while (await source.ReadAsync(batch, default))
                    batch.Reset(0);
                return null;
            }
            catch (DataStoreException e)
            {
                return e;
            }
        }

        var truncated = await ReadAsync(good[..(good.Length / 2)], "truncated.parquet");
        Assert.Contains("'" + Path.Combine(_files.Path, "truncated.parquet") + "'", truncated!.Message);
        Assert.Contains("PAR1", truncated.Message);
        var magic = good.ToArray();
        magic[0] = (byte)'X';
        Assert.Contains("magic", (await ReadAsync(magic, "magic.parquet"))!.Message);
        var footer = good.ToArray();
        footer[^8] = 0xFF;
        footer[^7] = 0xFF;
        footer[^6] = 0xFF;
        footer[^5] = 0x7F;
        Assert.Contains("footer length", (await ReadAsync(footer, "footer.parquet"))!.Message);

        // Mutations of a valid file: each is read whole or refused with a DataStoreException, never anything else.
        var random = new Random(20261122);
        var refused = 0;
        for (var i = 0; i < 2000; i++)
        {
            var mutated = good.ToArray();
            for (var n = random.Next(1, 4); n > 0; n--)
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            if (await ReadAsync(mutated, "mutated.parquet") is { } failure)
            {
                Assert.Equal(ErrorCodes.InvalidData, failure.Code);
                refused++;
            }
        }
        Assert.True(refused > 0);
    }
}
