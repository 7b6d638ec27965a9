using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Server.Errors;
using Ferry.Server.FactoryResources;
using Ferry.Server.Store;

namespace Ferry.Server.Runs;

/// <summary>ADF's pipeline run operations: createRun, get, cancel, queryPipelineRuns and queryActivityRuns, in ADF's shapes.</summary>
public sealed class RunService(IFerryStore store, FactoryResourceService resources, RunOrchestrator orchestrator, CopySplits splits, TimeProvider time)
{
    public async Task<JsonObject> CreateRunAsync(string factory, string pipelineName, JsonObject? given, CancellationToken ct)
    {
        var pipeline = await resources.GetAsync(factory, FactoryResourceService.Pipelines, pipelineName, ct);
        var parameters = BindParameters(pipeline.Properties["parameters"] as JsonObject ?? [], given ?? []);
        var now = time.GetUtcNow();
        var run = new PipelineRunRow(Guid.NewGuid(), factory, pipeline.Name, RunStatus.Queued, parameters.ToJsonString(), pipeline.Properties.ToJsonString(),
            now, null, null, false, now);
        await store.InsertPipelineRunAsync(run, ct);
        await orchestrator.AdvanceAsync(run.Id, ct);
        return new JsonObject { ["runId"] = run.Id.ToString() };
    }

    /// <summary>Each declared parameter takes the value given, else its default; an undeclared one, or one with neither, is refused by name.</summary>
    private static JsonObject BindParameters(JsonObject declared, JsonObject given)
    {
        foreach (var (name, _) in given)
        {
            if (!declared.ContainsKey(name))
                throw FerryException.BadRequest(ErrorCodes.InvalidParameters,
                    $"Parameter '{name}' is not declared by the pipeline (it declares: {(declared.Count == 0 ? "none" : string.Join(", ", declared.Select(p => p.Key)))}).");
        }
        var bound = new JsonObject();
        foreach (var (name, definition) in declared)
        {
            var value = given.ContainsKey(name) ? given[name] : definition?["defaultValue"];
            if (value is null && !given.ContainsKey(name))
                throw FerryException.BadRequest(ErrorCodes.InvalidParameters, $"Parameter '{name}' has no default value; give it: --parameters '{{\"{name}\": ...}}'.");
            bound[name] = value?.DeepClone();
        }
        return bound;
    }

    public async Task<JsonObject> GetRunAsync(string factory, Guid runId, CancellationToken ct) => ToJson(await RequireRunAsync(factory, runId, ct));

    private async Task<bool> SplitWaitingAsync(Guid activityRunId, CancellationToken ct)
    {
        var jobs = await store.ListJobsOfActivityRunAsync(activityRunId, ct);
        return jobs.Any(j => j.Step is not null) && jobs.All(j => j.Status != Store.JobStatus.Leased)
               && !jobs.Any(j => j is { Step: Ferry.Contracts.Protocol.CopySplit.Commit, Status: Store.JobStatus.Done });
    }

    public async Task CancelAsync(string factory, Guid runId, CancellationToken ct)
    {
        var run = await RequireRunAsync(factory, runId, ct);
        if (RunStatus.IsFinal(run.Status))
            return;
        var now = time.GetUtcNow();
        await store.RequestRunCancelAsync(run.Id, now, ct);
        await store.UpdatePipelineRunAsync(run.Id, RunStatus.Cancelling, null, null, now, ct);
        var open = (await store.ListActivityRunsAsync(run.Id, ct)).Where(r => !RunStatus.IsFinal(r.Status)).ToList();
        await store.CancelJobsAsync(open.Select(r => r.Id).ToList(), ct);
        // Work nobody holds yet ends now; work a node holds ends when the node stops it (it hears at its next renew).
        // So does a split copy whose parts are all waiting: no node will report it.
        foreach (var activityRun in open)
        {
            if (activityRun.Status == RunStatus.Queued)
                await orchestrator.ActivityEndedAsync(activityRun, RunStatus.Cancelled, null, null, ct);
            else if (await SplitWaitingAsync(activityRun.Id, ct))
            {
                await orchestrator.ActivityEndedAsync(activityRun, RunStatus.Cancelled, null, null, ct);
                await splits.DiscardWhenIdleAsync(activityRun.Id, ct);
            }
        }
        await orchestrator.AdvanceAsync(run.Id, ct);
    }

    public async Task<JsonObject> QueryRunsAsync(string factory, JsonObject? filter, CancellationToken ct)
    {
        await store.RequireFactoryAsync(factory, ct);
        var (after, before) = Window(filter);
        var runs = await store.ListPipelineRunsAsync(factory, after, before, 1000, ct);
        return new JsonObject { ["value"] = new JsonArray(runs.Select(r => (JsonNode)ToJson(r)).ToArray()) };
    }

    public async Task<JsonObject> QueryActivityRunsAsync(string factory, Guid runId, CancellationToken ct)
    {
        var run = await RequireRunAsync(factory, runId, ct);
        var activityRuns = await store.ListActivityRunsAsync(run.Id, ct);
        var activities = (JsonNode.Parse(run.PipelineJson)?["activities"] as JsonArray ?? []).OfType<JsonObject>()
            .ToDictionary(a => a["name"]!.GetValue<string>(), StringComparer.OrdinalIgnoreCase);
        return new JsonObject
        {
            ["value"] = new JsonArray(activityRuns.Select(a =>
            {
                var secureOutput = activities.GetValueOrDefault(a.Activity)?["policy"]?["secureOutput"]?.GetValue<bool>() == true;
                var end = a.RunEnd;
                return (JsonNode)new JsonObject
                {
                    ["pipelineName"] = run.Pipeline, ["pipelineRunId"] = run.Id.ToString(), ["activityName"] = a.Activity, ["activityType"] = a.Type,
                    ["activityRunId"] = a.Id.ToString(), ["status"] = a.Status, ["activityRunStart"] = a.RunStart?.ToString("O"),
                    ["activityRunEnd"] = end?.ToString("O"), ["durationInMs"] = a.RunStart is { } s && end is { } e ? (long)(e - s).TotalMilliseconds : null,
                    ["input"] = a.InputJson is null ? new JsonObject() : JsonNode.Parse(a.InputJson),
                    ["output"] = secureOutput ? new JsonObject() : a.OutputJson is null ? new JsonObject() : JsonNode.Parse(a.OutputJson),
                    ["error"] = a.ErrorJson is null ? new JsonObject { ["errorCode"] = "", ["message"] = "", ["failureType"] = "", ["target"] = a.Activity } : JsonNode.Parse(a.ErrorJson),
                    ["retryAttempt"] = a.Attempt > 1 ? a.Attempt - 1 : null,
                    // Ferry's additions: where it ran.
                    ["integrationRuntime"] = a.Runtime, ["node"] = a.Node,
                };
            }).ToArray()),
        };
    }

    private static (DateTimeOffset After, DateTimeOffset Before) Window(JsonObject? filter)
    {
        DateTimeOffset Read(string name, DateTimeOffset fallback) =>
            filter?[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String
                ? DateTimeOffset.TryParse(v.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t)
                    ? t
                    : throw FerryException.BadRequest(ErrorCodes.InvalidProperty, $"{name} '{v.GetValue<string>()}' is not a date and time (ISO 8601).")
                : fallback;
        return (Read("lastUpdatedAfter", DateTimeOffset.UnixEpoch), Read("lastUpdatedBefore", DateTimeOffset.MaxValue.AddYears(-1)));
    }

    private async Task<PipelineRunRow> RequireRunAsync(string factory, Guid runId, CancellationToken ct)
    {
        await store.RequireFactoryAsync(factory, ct);
        var run = await store.GetPipelineRunAsync(runId, ct);
        return run is not null && run.Factory == factory
            ? run
            : throw FerryException.NotFound(ErrorCodes.RunNotFound, $"There is no pipeline run '{runId}' in factory '{factory}'. `ferry run list` shows the recent ones.");
    }

    private static JsonObject ToJson(PipelineRunRow r) => new()
    {
        ["runId"] = r.Id.ToString(), ["pipelineName"] = r.Pipeline, ["parameters"] = JsonNode.Parse(r.ParametersJson),
        ["invokedBy"] = new JsonObject { ["name"] = "Manual", ["invokedByType"] = "Manual" },
        ["runStart"] = r.RunStart.ToString("O"), ["runEnd"] = r.RunEnd?.ToString("O"),
        ["durationInMs"] = r.RunEnd is { } end ? (long)(end - r.RunStart).TotalMilliseconds : null,
        ["status"] = r.Status, ["message"] = r.Message ?? "", ["lastUpdated"] = r.LastUpdated.ToString("O"),
    };
}
