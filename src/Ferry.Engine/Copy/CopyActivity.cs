using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Engine.Connectors.FileServer;
using Ferry.Engine.Connectors.Postgres;
using Ferry.Engine.Formats.DelimitedText;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Copy;

/// <summary>
/// ADF's Copy activity on whichever host runs it: opens the source and the sink its datasets name, moves the rows,
/// commits the sink once at the end (after <paramref name="beforeCommit"/> confirmed the lease is still this host's),
/// and answers with ADF's copy output. Any failure or cancel leaves the sink as it was.
/// </summary>
public static class CopyActivity
{
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(1);

    public static async Task<JsonObject> RunAsync(JobPayload job, EngineContext context, Func<CopyProgress, CancellationToken, Task> progress,
        Func<CancellationToken, Task> beforeCommit, CancellationToken ct)
    {
        switch (job.Split)
        {
            case { Step: CopySplit.Plan } plan:
                return await SplitCopy.PlanAsync(job, context, plan.Parts, ct);
            case { Step: CopySplit.Commit or CopySplit.Discard } finish:
                return await SplitCopy.FinishAsync(job, finish, context, beforeCommit, ct);
        }
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var typeProperties = job.Activity["typeProperties"] as JsonObject ?? [];
        var sourceSettings = typeProperties["source"] as JsonObject ?? [];
        var sinkSettings = typeProperties["sink"] as JsonObject ?? [];
        var translator = typeProperties["translator"] as JsonObject;
        var conversionSettings = TypeConversionSettings.From(translator);
        var parallelCopies = typeProperties["parallelCopies"]?.GetValue<int>() is { } asked
            ? asked >= 1 ? asked : throw new DataStoreException(ErrorCodes.InvalidProperty, $"parallelCopies {asked} must be 1 or more.")
            : (int?)null;
        await using var source = await CreateSourceAsync(job, sourceSettings, context, parallelCopies, ct);
        await using var sink = CreateSink(job, sinkSettings, context, conversionSettings);

        var sourceColumns = await source.OpenAsync(ct);
        var mapping = ColumnMapping.From(translator, sourceColumns);
        var conversion = new TypeConversion(mapping.Columns, await sink.OpenAsync(mapping.Columns, ct), conversionSettings);
        if (sink.CommittedBefore is { } committed)
            return Output(job, sourceSettings, sinkSettings, started, clock, source, sink, committed, committed, 0, null, false, committedBefore: true);
        await using var skipped = IncompatibleRowLog.From(typeProperties, job, context);
        long rows = 0, copied = 0;
        var lastReport = clock.Elapsed;

        // Two stages on two threads: the source fills typed batches while the previous ones are converted and written.
        // Three batches circulate, so memory is bounded by the batch size whatever the row count.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var filled = Channel.CreateBounded<RowBatch>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        var free = Channel.CreateUnbounded<RowBatch>();
        var sourceTypes = sourceColumns.Select(c => c.Type).ToList();
        for (var i = 0; i < source.Parts.Count + 2; i++)
            free.Writer.TryWrite(new RowBatch(sourceTypes));
        var reading = Task.Run(() => ReadAllAsync(source.Parts, free.Reader, filled.Writer, stop), CancellationToken.None);
        var view = new RowBatch(mapping.Columns.Count, RowBatch.DefaultCapacity);
        try
        {
            await foreach (var batch in filled.Reader.ReadAllAsync(ct))
            {
                rows += batch.Count;
                mapping.Project(batch, view);
                var converted = conversion.Apply(view);
                await SkipAsync(converted, view, skipped, ct);
                converted.DropRejected();
                await sink.WriteAsync(converted, ct);
                copied += converted.Count - converted.Rejections.Count;
                await SkipAsync(converted, converted, skipped, ct);
                free.Writer.TryWrite(batch);
                if (clock.Elapsed - lastReport >= ProgressEvery)
                {
                    lastReport = clock.Elapsed;
                    await progress(new CopyProgress(rows, copied, source.BytesRead, sink.BytesWritten), ct);
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await reading;
        }
        await beforeCommit(ct);
        var validate = typeProperties["validateDataConsistency"]?.GetValue<bool>() == true;
        await sink.CommitAsync(validate ? copied : null, ct);
        if (skipped is not null)
            await skipped.CommitAsync(ct);
        return Output(job, sourceSettings, sinkSettings, started, clock, source, sink, rows, copied, rows - copied, skipped?.WrittenPath, validate, committedBefore: false);
    }

    /// <summary>ADF's copy activity output; <paramref name="committedBefore"/> marks a copy an earlier attempt of the activity run had already committed.</summary>
    private static JsonObject Output(JobPayload job, JsonObject sourceSettings, JsonObject sinkSettings, DateTimeOffset started, Stopwatch clock,
        PartedSource source, ICopySink sink, long rows, long copied, long skipped, string? redirectRowPath, bool validated, bool committedBefore)
    {
        var seconds = Math.Max(clock.Elapsed.TotalSeconds, 0.001);
        var output = new JsonObject
        {
            ["dataRead"] = source.BytesRead,
            ["dataWritten"] = sink.BytesWritten,
            ["filesRead"] = source.FilesRead,
            ["filesWritten"] = sink.FilesWritten,
            ["rowsRead"] = rows,
            ["rowsCopied"] = copied,
            ["rowsSkipped"] = skipped,
            ["copyDuration"] = (int)Math.Ceiling(seconds),
            ["throughput"] = Math.Round(source.BytesRead / 1024.0 / seconds, 3),
            ["usedParallelCopies"] = source.Parts.Count,
            ["effectiveIntegrationRuntime"] = job.EffectiveIntegrationRuntime,
            ["executionDetails"] = new JsonArray(new JsonObject
            {
                ["source"] = new JsonObject { ["type"] = sourceSettings["type"]?.GetValue<string>() ?? "" },
                ["sink"] = new JsonObject { ["type"] = sinkSettings["type"]?.GetValue<string>() ?? "" },
                ["status"] = "Succeeded",
                ["start"] = started.ToString("O"),
                ["duration"] = (int)Math.Ceiling(seconds),
                ["usedParallelCopies"] = source.Parts.Count,
                ["detailedDurations"] = new JsonObject { ["transferDuration"] = (int)Math.Ceiling(seconds) },
            }),
            ["errors"] = new JsonArray(),
            ["redirectRowPath"] = redirectRowPath,
            ["dataConsistencyVerification"] = validated ? new JsonObject { ["VerificationResult"] = "Verified", ["InconsistentData"] = "None" } : null,
        };
        if (committedBefore)
            output["committedByEarlierAttempt"] = true;
        if (job.Split is { } split)
        {
            output["part"] = split.Part;
            output["elapsedSeconds"] = Math.Round(seconds, 3);
        }
        return output;
    }

    /// <summary>
    /// The reading stage: each part of the source (one, or the ranges and file groups of parallelCopies) fills free
    /// batches on its own task and hands them on. The first failure stops the other parts and ends the writing stage with it.
    /// </summary>
    private static async Task ReadAllAsync(IReadOnlyList<ICopySource> parts, ChannelReader<RowBatch> free, ChannelWriter<RowBatch> filled, CancellationTokenSource stop)
    {
        long next = 1;
        Exception? failure = null;
        async Task ReadPartAsync(ICopySource part)
        {
            try
            {
                while (true)
                {
                    var batch = await free.ReadAsync(stop.Token);
                    batch.Reset(0);
                    if (!await part.ReadAsync(batch, stop.Token) || batch.Count == 0)
                        break;
                    batch.FirstRow = Interlocked.Add(ref next, batch.Count) - batch.Count;
                    await filled.WriteAsync(batch, stop.Token);
                }
            }
            catch (Exception e)
            {
                if (!(e is OperationCanceledException && stop.IsCancellationRequested))
                    Interlocked.CompareExchange(ref failure, e, null);
                await stop.CancelAsync();
            }
        }
        await Task.WhenAll(parts.Select(part => Task.Run(() => ReadPartAsync(part))));
        if (failure is not null)
            filled.TryComplete(failure);
        else if (stop.IsCancellationRequested)
            filled.TryComplete(new OperationCanceledException(stop.Token));
        else
            filled.TryComplete();
    }

    /// <summary>
    /// The rows of <paramref name="batch"/> that were rejected go to the skipped-row log with their values as
    /// <paramref name="values"/> holds them; without a log the first of them fails the copy.
    /// </summary>
    private static async Task SkipAsync(RowBatch batch, RowBatch values, IncompatibleRowLog? log, CancellationToken ct)
    {
        if (batch.Rejections.Count == 0)
            return;
        var rejections = batch.Rejections.OrderBy(r => r.Index).ToList();
        if (log is null)
            throw new IncompatibleRowException(rejections[0].Reason).AsFailure();
        foreach (var (index, reason) in rejections)
            await log.WriteAsync(batch.RowNumber(index), reason, values.RowValues(index), ct);
    }

    /// <summary>The copy's source, split into parts read at once when parallelCopies and the source allow it.</summary>
    private static async Task<PartedSource> CreateSourceAsync(JobPayload job, JsonObject settings, EngineContext context, int? parallelCopies, CancellationToken ct)
    {
        var (dataset, linked) = Require(job.SourceDataset, job.SourceLinkedService, "source");
        var linkedSettings = LinkedServiceSettings.From(linked, context, job.SecretStores);
        var parallel = parallelCopies ?? Math.Min(4, Environment.ProcessorCount);
        if (job.Split is { Step: CopySplit.CopyPart } part)
            return new PartedSource([PartSource(part, dataset, linked, linkedSettings, settings, context)]);
        if (DatasetType(dataset) == "POSTGRESQLV2TABLE")
        {
            var connector = new PostgresConnector(linkedSettings, context);
            var conditions = await PostgresPartitions.PlanAsync(connector, dataset, settings, parallel, ct);
            return new PartedSource(conditions.Select(c => (ICopySource)new PostgresSource(connector, dataset, settings, c)).ToList());
        }
        return new PartedSource(CreateSources(dataset, linked, linkedSettings, settings, context, parallelCopies ?? 1));
    }

    private static List<ICopySource> CreateSources(JsonObject dataset, JsonObject linked, LinkedServiceSettings linkedSettings, JsonObject settings, EngineContext context,
        int parallel) =>
        DatasetType(dataset) == "SQLITETABLE"
            ? [new Connectors.Sqlite.SqliteSource(Connectors.Sqlite.SqlitePath.Of(linkedSettings, context), dataset, settings)]
            : FileSources(dataset, linked, settings, linkedSettings, context, parallel, FileOpener(dataset));

    /// <summary>How one file of a file dataset is read.</summary>
    private static Func<SourceFile, ICopySource> FileOpener(JsonObject dataset)
    {
        var typeProperties = dataset["typeProperties"] as JsonObject ?? [];
        return DatasetType(dataset) switch
        {
            "DELIMITEDTEXT" => file => new DelimitedTextSource(file, DelimitedTextFormat.From(typeProperties), typeProperties["compressionCodec"]?.GetValue<string>()),
            "PARQUET" => file => new Formats.Parquet.ParquetSource(file),
            "JSON" => file => new Formats.Json.JsonSource(file, typeProperties["compression"]?["type"]?.GetValue<string>()),
            var other => throw Unsupported("source", other),
        };
    }

    /// <summary>One part of a copy split over nodes: its range of the table, or its files.</summary>
    private static ICopySource PartSource(CopySplit part, JsonObject dataset, JsonObject linked, LinkedServiceSettings linkedSettings, JsonObject settings,
        EngineContext context)
    {
        if (DatasetType(dataset) == "POSTGRESQLV2TABLE")
            return new PostgresSource(new PostgresConnector(linkedSettings, context), dataset, settings, part.Condition);
        if (!string.Equals(linked["type"]?.GetValue<string>(), "FileServer", StringComparison.OrdinalIgnoreCase) || part.Files is not { Count: > 0 } names)
            throw new DataStoreException(ErrorCodes.InvalidProperty, $"Part {part.Part + 1} of the split copy names no range and no files of a FileServer.");
        var connector = new FileServerConnector(linkedSettings, context);
        return new MultiFileSource(names.Select(n => SourceFile.Local(connector.UnderRoot(n))).ToList(), FileOpener(dataset));
    }

    private static ICopySink CreateSink(JobPayload job, JsonObject settings, EngineContext context, TypeConversionSettings conversion)
    {
        var (dataset, linked) = Require(job.SinkDataset, job.SinkLinkedService, "sink");
        var linkedSettings = LinkedServiceSettings.From(linked, context, job.SecretStores);
        var typeProperties = dataset["typeProperties"] as JsonObject ?? [];
        if (string.Equals(linked["type"]?.GetValue<string>(), "HttpServer", StringComparison.OrdinalIgnoreCase))
            throw new DataStoreException(ErrorCodes.UnsupportedType, "An HttpServer linked service is a copy source only; write to a FileServer or a database instead.");
        var part = job.Split is { Step: CopySplit.CopyPart } split ? split.Part : (int?)null;
        // A part of a split copy writes its own file, kept hidden until the split's commit renames it into place.
        string Target()
        {
            var files = new FileServerConnector(linkedSettings, context);
            return part is { } p ? SplitCopy.StagedPartPath(SplitCopy.PartTarget(files, dataset, p), job.ActivityRunId) : files.TargetFile(typeProperties);
        }
        return DatasetType(dataset) switch
        {
            "POSTGRESQLV2TABLE" => new PostgresSink(new PostgresConnector(linkedSettings, context), dataset, settings, job.ActivityRunId, part),
            "DELIMITEDTEXT" => new DelimitedTextSink(Target(),
                DelimitedTextFormat.From(typeProperties), typeProperties["compressionCodec"]?.GetValue<string>(), conversion),
            "PARQUET" => new Formats.Parquet.ParquetSink(Target(),
                typeProperties["compressionCodec"]?.GetValue<string>() ?? "snappy"),
            "JSON" => new Formats.Json.JsonSink(Target(),
                settings["formatSettings"]?["filePattern"]?.GetValue<string>(), typeProperties["compression"]?["type"]?.GetValue<string>(), conversion),
            "SQLITETABLE" => new Connectors.Sqlite.SqliteSink(Connectors.Sqlite.SqlitePath.Of(linkedSettings, context), dataset, settings, job.ActivityRunId, conversion),
            var other => throw Unsupported("sink", other),
        };
    }

    /// <summary>
    /// The file an HttpServer dataset names, or, on a FileServer, one file or every file the source's storeSettings
    /// (wildcardFolderPath, wildcardFileName, recursive) match, read as one source.
    /// </summary>
    private static List<ICopySource> FileSources(JsonObject dataset, JsonObject linked, JsonObject settings, LinkedServiceSettings linkedSettings, EngineContext context,
        int parallel, Func<SourceFile, ICopySource> open)
    {
        var properties = dataset["typeProperties"] as JsonObject ?? [];
        var storeSettings = settings["storeSettings"] as JsonObject;
        if (string.Equals(linked["type"]?.GetValue<string>(), "HttpServer", StringComparison.OrdinalIgnoreCase))
            return [open(new Connectors.Http.HttpConnector(linkedSettings, context).File(properties, storeSettings))];
        var files = new FileServerConnector(linkedSettings, context).SourceFiles(properties, storeSettings).Select(SourceFile.Local).ToList();
        if (files.Count == 1)
            return [open(files[0])];
        // parallelCopies: the files are dealt out to the parts in turn, each part reading its files one after the other.
        var parts = Math.Min(parallel, files.Count);
        return Enumerable.Range(0, parts)
            .Select(p => (ICopySource)new MultiFileSource(files.Where((_, i) => i % parts == p).ToList(), open)).ToList();
    }

    private static (JsonObject, JsonObject) Require(JsonObject? dataset, JsonObject? linked, string side) =>
        dataset is not null && linked is not null
            ? (dataset, linked)
            : throw new DataStoreException(ErrorCodes.InvalidProperty, $"The copy has no {side} dataset.");

    private static string DatasetType(JsonObject dataset) => (dataset["type"]?.GetValue<string>() ?? "").ToUpperInvariant();

    private static DataStoreException Unsupported(string side, string type) =>
        new(ErrorCodes.UnsupportedType, $"A {type} dataset cannot be a copy {side} yet; Ferry copies PostgreSqlV2Table, SqliteTable, DelimitedText, Json and Parquet so far.");
}
