using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Contracts;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Server.Jobs;
using Ferry.Server.Store;

namespace Ferry.Server.Runs;

/// <summary>
/// A copy split over a self-hosted runtime's nodes. The activity run's first job is the plan (a node reads the
/// source's extent); its parts become one job each, leased and retried on their own by whichever nodes have free
/// slots, each loading the sink's staging; when every part has succeeded one commit job moves them all into place. A
/// part or the commit failing for good fails the activity: the other parts are cancelled and a discard job removes what
/// was staged. The activity's output sums the parts and names the nodes that ran them.
/// </summary>
public sealed partial class CopySplits(IFerryStore store, RunOrchestrator orchestrator, JobSignals signals, TimeProvider time, ILogger<CopySplits> logger)
{
    /// <summary>Parts per available node when the activity does not set parallelCopies.</summary>
    public const int PartsPerNode = 2;
    private const int MaxParts = 256;

    /// <summary>
    /// How many parts a copy is split into over <paramref name="availableNodes"/> nodes, or null when it runs whole on
    /// one node: the runtime has one node, the source cannot be split (a DynamicRange PostgreSQL table, or FileServer
    /// files matched by a wildcard or read recursively), or the sink cannot take parts (a PostgreSQL table, or
    /// DelimitedText, Parquet or Json files on a FileServer), or skipped rows are logged (one log per copy).
    /// </summary>
    public static int? PartsFor(JobPayload copy, int availableNodes)
    {
        if (availableNodes < 2 || copy.SourceDataset is not { } source || copy.SinkDataset is not { } sink)
            return null;
        var typeProperties = copy.Activity["typeProperties"] as JsonObject ?? [];
        var sourceSettings = typeProperties["source"] as JsonObject ?? [];
        if (typeProperties["enableSkipIncompatibleRow"]?.GetValue<bool>() == true)
            return null;
        var splittable = Type(source) switch
        {
            "POSTGRESQLV2TABLE" => string.Equals(sourceSettings["partitionOption"]?.GetValue<string>(), "DynamicRange", StringComparison.OrdinalIgnoreCase),
            "DELIMITEDTEXT" or "PARQUET" or "JSON" => IsFileServer(copy.SourceLinkedService)
                                                      && (sourceSettings["storeSettings"]?["wildcardFileName"] is not null
                                                          || sourceSettings["storeSettings"]?["recursive"]?.GetValue<bool>() == true),
            _ => false,
        };
        var takesParts = Type(sink) switch
        {
            "POSTGRESQLV2TABLE" => true,
            "DELIMITEDTEXT" or "PARQUET" or "JSON" => IsFileServer(copy.SinkLinkedService),
            _ => false,
        };
        if (!splittable || !takesParts)
            return null;
        var asked = typeProperties["parallelCopies"]?.GetValue<int>();
        return asked is < 1 ? null : Math.Min(MaxParts, asked ?? availableNodes * PartsPerNode);
    }

    /// <summary>One step of a split copy ended: queue the next, or end the activity.</summary>
    public async Task StepEndedAsync(JobRow job, string node, string status, JsonObject? output, ActivityError? error, CancellationToken ct)
    {
        var activityRun = await store.GetActivityRunAsync(job.ActivityRunId, ct);
        if (activityRun is null || job.Step == CopySplit.Discard)
            return;
        var payload = JsonSerializer.Deserialize(job.PayloadJson, FerryJsonContext.Default.JobPayload)!;
        if (RunStatus.IsFinal(activityRun.Status))
        {
            // A part the failure or a cancel stopped has ended: once none is left running, what they staged can go.
            if (activityRun.Status != RunStatus.Succeeded)
                await DiscardWhenIdleAsync(activityRun.Id, payload, job.Queue, ct);
            return;
        }
        var split = payload.Split!;
        if (status != RunStatus.Succeeded)
        {
            await FailAsync(activityRun, payload, split, job.Queue, node, status, error, ct);
            return;
        }
        switch (split.Step)
        {
            case CopySplit.Plan:
                await QueuePartsAsync(activityRun, payload, job.Queue, output, ct);
                break;
            case CopySplit.CopyPart:
                var jobs = await store.ListJobsOfActivityRunAsync(activityRun.Id, ct);
                var parts = jobs.Where(j => j.Step == CopySplit.CopyPart).ToList();
                var done = parts.Count(j => j is { Status: JobStatus.Done, Outcome: RunStatus.Succeeded });
                await store.UpdateActivityRunProgressAsync(activityRun.Id, new JsonObject
                {
                    ["distributedCopy"] = new JsonObject { ["parts"] = parts.Count, ["partsSucceeded"] = done },
                }.ToJsonString(), ct);
                // Each part records its end before it reads the others', so the last to end sees every part done; two ending
                // at once may both see it, and the commit's fixed id queues it once.
                if (done == parts.Count)
                {
                    var rows = parts.OrderBy(j => PartOf(j)).Select(j => JsonNode.Parse(j.OutputJson ?? "{}")?["rowsCopied"]?.GetValue<long>() ?? 0).ToList();
                    await QueueAsync(payload with { Split = new CopySplit(CopySplit.Commit, Parts: parts.Count, PartRows: rows) }, job.Queue, activityRun.Id, 0,
                        RunOrchestrator.LeaseAttempts, ct);
                }
                break;
            case CopySplit.Commit:
                var all = await store.ListJobsOfActivityRunAsync(activityRun.Id, ct);
                var summary = Summary(all, activityRun, payload, out var nodes);
                LogCommitted(logger, activityRun.RunId, activityRun.Activity, all.Count(j => j.Step == CopySplit.CopyPart), nodes.Count);
                await orchestrator.ActivityEndedAsync(activityRun with { Node = string.Join(", ", nodes) }, RunStatus.Succeeded, summary, null, ct);
                break;
        }
    }

    private async Task QueuePartsAsync(ActivityRunRow activityRun, JobPayload payload, string queue, JsonObject? output, CancellationToken ct)
    {
        var planned = (output?["parts"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (planned.Count == 0)
        {
            await orchestrator.ActivityEndedAsync(activityRun, RunStatus.Failed, null,
                new ActivityError(ErrorCodes.DataStoreError, "The split copy's plan found no parts to copy.", "SystemError", activityRun.Activity), ct);
            return;
        }
        for (var p = 0; p < planned.Count; p++)
        {
            var files = (planned[p]["files"] as JsonArray)?.Select(f => f!.GetValue<string>()).ToList();
            var split = new CopySplit(CopySplit.CopyPart, p, planned.Count, planned[p]["condition"]?.GetValue<string>(), files);
            await QueueAsync(payload with { Split = split }, queue, activityRun.Id, p, RunOrchestrator.LeaseAttempts, ct);
        }
        await store.UpdateActivityRunProgressAsync(activityRun.Id, new JsonObject
        {
            ["distributedCopy"] = new JsonObject { ["parts"] = planned.Count, ["partsSucceeded"] = 0 },
        }.ToJsonString(), ct);
        LogPlanned(logger, activityRun.RunId, activityRun.Activity, planned.Count);
    }

    private async Task FailAsync(ActivityRunRow activityRun, JobPayload payload, CopySplit split, string queue, string node, string status, ActivityError? error, CancellationToken ct)
    {
        // The other parts stop at their next renewal; what the parts staged is removed by a node, once the last has stopped.
        await store.CancelJobsAsync([activityRun.Id], ct);
        var step = split.Step switch
        {
            CopySplit.Plan => "Planning the split copy",
            CopySplit.Commit => "The split copy's commit",
            _ => $"Part {split.Part + 1} of {split.Parts}",
        };
        var named = error is null ? null : error with { Message = $"{step} failed on {node}: {error.Message}" };
        await orchestrator.ActivityEndedAsync(activityRun, status, null, named, ct);
        await DiscardWhenIdleAsync(activityRun.Id, payload, queue, ct);
    }

    /// <summary>
    /// Queues the discard of a failed or cancelled split copy once none of its steps is running: a part still loading
    /// when the discard ran would stage again after it. Every step records its end before it looks, so the last to end
    /// sees the others ended; the discard's fixed id queues it once.
    /// </summary>
    public async Task DiscardWhenIdleAsync(Guid activityRunId, JobPayload payload, string queue, CancellationToken ct)
    {
        var jobs = await store.ListJobsOfActivityRunAsync(activityRunId, ct);
        var parts = jobs.Count(j => j.Step == CopySplit.CopyPart);
        if (parts == 0 || jobs.Any(j => j.Status == JobStatus.Leased) || jobs.Any(j => j is { Step: CopySplit.Commit, Outcome: RunStatus.Succeeded }))
            return;
        await QueueAsync(payload with { Split = new CopySplit(CopySplit.Discard, Parts: parts) }, queue, activityRunId, 0, 1, ct);
    }

    /// <summary>The same, for a split copy a user cancelled while none of its steps was running.</summary>
    public async Task DiscardWhenIdleAsync(Guid activityRunId, CancellationToken ct)
    {
        var plan = (await store.ListJobsOfActivityRunAsync(activityRunId, ct)).FirstOrDefault(j => j.Step == CopySplit.Plan);
        if (plan is not null)
            await DiscardWhenIdleAsync(activityRunId, JsonSerializer.Deserialize(plan.PayloadJson, FerryJsonContext.Default.JobPayload)!, plan.Queue, ct);
    }

    private async Task QueueAsync(JobPayload payload, string queue, Guid activityRunId, int part, int attempts, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var step = payload.Split!.Step;
        var job = new JobRow(StepId(activityRunId, step, part), queue, activityRunId, JsonSerializer.Serialize(payload, FerryJsonContext.Default.JobPayload),
            JobStatus.Queued, null, null, 0, null, 0, attempts, now, now, false, "[]", step);
        if (await store.InsertJobAsync(job, ct))
            signals.Notify(job.Queue);
    }

    private static int PartOf(JobRow job) => JsonSerializer.Deserialize(job.PayloadJson, FerryJsonContext.Default.JobPayload)!.Split!.Part;

    /// <summary>One id per step of an activity run: the same step queued twice (two parts ending at once) is one job.</summary>
    private static Guid StepId(Guid activityRunId, string step, int part) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"{activityRunId:N}/{step}/{part}")).AsSpan(0, 16));

    /// <summary>ADF's copy output summed over the parts, with the parts, their nodes and the effective parallelism.</summary>
    private JsonObject Summary(IReadOnlyList<JobRow> jobs, ActivityRunRow activityRun, JobPayload payload, out List<string> nodes)
    {
        var now = time.GetUtcNow();
        var parts = jobs.Where(j => j.Step == CopySplit.CopyPart)
            .Select(j => (Job: j, Output: JsonNode.Parse(j.OutputJson ?? "{}")!.AsObject()))
            .OrderBy(p => p.Output["part"]?.GetValue<int>() ?? 0).ToList();
        nodes = parts.Select(p => p.Job.NodeName ?? "?").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        long Sum(string name) => parts.Sum(p => p.Output[name]?.GetValue<long>() ?? 0);
        var planEnded = Ended(jobs.FirstOrDefault(j => j.Step == CopySplit.Plan)) ?? activityRun.RunStart ?? now;
        var partsEnded = parts.Select(p => Ended(p.Job)).Max() ?? now;
        var partSeconds = parts.Sum(p => p.Output["elapsedSeconds"]?.GetValue<double>() ?? 0);
        var span = Math.Max((partsEnded - planEnded).TotalSeconds, 0.001);
        var seconds = Math.Max((now - (activityRun.RunStart ?? now)).TotalSeconds, 0.001);
        var first = parts.Count > 0 ? parts[0].Output["executionDetails"]?[0]?.DeepClone() as JsonObject : null;
        var details = first ?? [];
        details["start"] = (activityRun.RunStart ?? now).ToString("O");
        details["duration"] = (int)Math.Ceiling(seconds);
        details["usedParallelCopies"] = parts.Count;
        details["detailedDurations"] = new JsonObject { ["transferDuration"] = (int)Math.Ceiling(seconds) };
        return new JsonObject
        {
            ["dataRead"] = Sum("dataRead"),
            ["dataWritten"] = Sum("dataWritten"),
            ["filesRead"] = Sum("filesRead"),
            ["filesWritten"] = Sum("filesWritten"),
            ["rowsRead"] = Sum("rowsRead"),
            ["rowsCopied"] = Sum("rowsCopied"),
            ["rowsSkipped"] = Sum("rowsSkipped"),
            ["copyDuration"] = (int)Math.Ceiling(seconds),
            ["throughput"] = Math.Round(Sum("dataRead") / 1024.0 / seconds, 3),
            ["usedParallelCopies"] = parts.Count,
            ["effectiveIntegrationRuntime"] = payload.EffectiveIntegrationRuntime,
            ["executionDetails"] = new JsonArray(details),
            ["errors"] = new JsonArray(),
            ["distributedCopy"] = new JsonObject
            {
                ["parts"] = new JsonArray(parts.Select(p => (JsonNode)new JsonObject
                {
                    ["part"] = (p.Output["part"]?.GetValue<int>() ?? 0) + 1,
                    ["node"] = p.Job.NodeName,
                    ["attempts"] = p.Job.Attempts,
                    ["rowsCopied"] = p.Output["rowsCopied"]?.GetValue<long>() ?? 0,
                    ["dataRead"] = p.Output["dataRead"]?.GetValue<long>() ?? 0,
                    ["durationSeconds"] = p.Output["elapsedSeconds"]?.GetValue<double>() ?? 0,
                }).ToArray()),
                ["nodes"] = new JsonArray(nodes.Select(n => (JsonNode)n).ToArray()),
                ["planSeconds"] = Math.Round(Math.Max((planEnded - (activityRun.RunStart ?? planEnded)).TotalSeconds, 0), 3),
                ["partsSeconds"] = Math.Round(span, 3),
                ["commitSeconds"] = Math.Round(Math.Max((now - partsEnded).TotalSeconds, 0), 3),
                // How many parts ran at once, on average, while the parts ran: their time summed over the time they took together.
                ["effectiveParallelism"] = Math.Round(partSeconds / span, 2),
            },
        };
    }

    private static DateTimeOffset? Ended(JobRow? job) =>
        job?.OutputJson is { } output && JsonNode.Parse(output)?["endedAt"]?.GetValue<long>() is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null;

    private static string Type(JsonObject dataset) => (dataset["type"]?.GetValue<string>() ?? "").ToUpperInvariant();

    private static bool IsFileServer(JsonObject? linked) => string.Equals(linked?["type"]?.GetValue<string>(), "FileServer", StringComparison.OrdinalIgnoreCase);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Information, Message = "Run {RunId}: copy {Activity} split into {Parts} parts")]
    private static partial void LogPlanned(ILogger logger, Guid runId, string activity, int parts);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Information, Message = "Run {RunId}: copy {Activity} committed its {Parts} parts, run by {Nodes} node(s)")]
    private static partial void LogCommitted(ILogger logger, Guid runId, string activity, int parts, int nodes);
}
