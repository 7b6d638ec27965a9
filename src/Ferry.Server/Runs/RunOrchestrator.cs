using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Contracts;
using Ferry.Contracts.Credentials;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Contracts.Resources;
using Ferry.Server.Credentials;
using Ferry.Server.FactoryResources;
using Ferry.Server.Jobs;
using Ferry.Server.Pipelines;
using Ferry.Server.Store;

namespace Ferry.Server.Runs;

/// <summary>
/// Moves pipeline runs forward. An activity starts once every activity it depends on has ended with one of the
/// conditions asked (Succeeded, Failed, Skipped, or Completed for either of the first two), and is Skipped when they
/// ended otherwise. Starting a Copy evaluates its expressions, picks the runtime by the reference's rules and puts a
/// job on that runtime's queue. A run ends when every activity has; it failed when an activity failed that no other
/// activity was there to handle (a dependency on Failed or Completed).
/// </summary>
public sealed partial class RunOrchestrator(IFerryStore store, JobSignals signals, TimeProvider time, ILogger<RunOrchestrator> logger,
    Metrics.ServerMetrics? metrics = null)
{
    public const string ManagedQueue = "managed";
    public const int LeaseAttempts = 3;

    private sealed record Dependency(string Activity, IReadOnlyList<string> Conditions);

    public async Task AdvanceAsync(Guid runId, CancellationToken ct)
    {
        var run = await store.GetPipelineRunAsync(runId, ct);
        if (run is null || RunStatus.IsFinal(run.Status))
            return;
        var activities = Activities(run);
        var latest = Latest(await store.ListActivityRunsAsync(runId, ct));

        bool progressed;
        do
        {
            progressed = false;
            foreach (var activity in activities)
            {
                var name = activity["name"]!.GetValue<string>();
                if (latest.ContainsKey(name) || run.CancelRequested)
                    continue;
                var dependencies = DependenciesOf(activity);
                if (dependencies.Any(d => !latest.TryGetValue(d.Activity, out var r) || !RunStatus.IsFinal(r.Status)))
                    continue;
                latest[name] = dependencies.All(d => d.Conditions.Any(c => Matches(c, latest[d.Activity].Status)))
                    ? await StartAsync(run, activity, latest, attempt: 1, TimeSpan.Zero, ct)
                    : await RecordAsync(run, activity, RunStatus.Skipped, null, null, 1, ct);
                progressed = true;
            }
        } while (progressed);

        var pending = activities.Where(a => !latest.TryGetValue(a["name"]!.GetValue<string>(), out var r) || !RunStatus.IsFinal(r.Status)).ToList();
        if (pending.Count > 0 && !(run.CancelRequested && pending.All(a => !latest.ContainsKey(a["name"]!.GetValue<string>()))))
            return;
        await FinishAsync(run, activities, latest, ct);
    }

    /// <summary>An activity run ended (its job reported, or its lease budget ran out): record it, retry per its policy, move the run on.</summary>
    public async Task ActivityEndedAsync(ActivityRunRow activityRun, string status, JsonObject? output, ActivityError? error, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        // How long the work waited for a free node (ADF's queuingDuration), known only here.
        if (output?["executionDetails"]?[0] is JsonObject details && activityRun.RunStart is { } started)
            details["queuingDuration"] = Math.Round((started - activityRun.QueuedAt).TotalSeconds, 3);
        var ended = activityRun with
        {
            Status = status, OutputJson = output?.ToJsonString(), ErrorJson = error is null ? null : JsonSerializer.Serialize(error, FerryJsonContext.Default.ActivityError),
            RunEnd = now, RunStart = activityRun.RunStart ?? now,
        };
        var run = await store.GetPipelineRunAsync(activityRun.RunId, ct);
        if (run is not null && status == RunStatus.Failed && !run.CancelRequested
            && Activities(run).FirstOrDefault(a => a["name"]!.GetValue<string>() == activityRun.Activity) is { } activity
            && activity["policy"]?["retry"]?.GetValue<int>() is { } retries && activityRun.Attempt <= retries)
        {
            // The next attempt is recorded before this one is marked Failed: another activity ending meanwhile must
            // not see every activity final and end the run while a retry is still to come.
            var delay = TimeSpan.FromSeconds(activity["policy"]?["retryIntervalInSeconds"]?.GetValue<int>() ?? 30);
            var latest = Latest(await store.ListActivityRunsAsync(run.Id, ct));
            latest[ended.Activity] = ended;
            await StartAsync(run, activity, latest, activityRun.Attempt + 1, delay, ct);
            await store.UpdateActivityRunAsync(ended, ct);
            return;
        }
        await store.UpdateActivityRunAsync(ended, ct);
        metrics?.ActivityEnded(activityRun.Type, status, output);
        if (run is not null)
            await AdvanceAsync(activityRun.RunId, ct);
    }

    private async Task<ActivityRunRow> StartAsync(PipelineRunRow run, JsonObject activity, Dictionary<string, ActivityRunRow> latest,
        int attempt, TimeSpan delay, CancellationToken ct)
    {
        var dependencies = DependenciesOf(activity).Select(d => d.Activity).ToList();
        var scope = new Expressions.Scope(new HashSet<string>(), new HashSet<string>(), JsonNode.Parse(run.ParametersJson) as JsonObject, run.Id.ToString(),
            run.Pipeline, dependencies.ToDictionary(d => d, d => latest[d].OutputJson is { } o ? JsonNode.Parse(o) : null));
        var evaluated = (JsonObject)Expressions.Evaluate(activity, scope)!;
        var name = activity["name"]!.GetValue<string>();
        try
        {
            var (payloadParts, runtime) = await ResolveCopyAsync(run.Factory, evaluated, ct);
            var now = time.GetUtcNow();
            var activityRun = new ActivityRunRow(Guid.NewGuid(), run.Id, name, activity["type"]!.GetValue<string>(), RunStatus.Queued, runtime.Name, null,
                SecureInput(activity) ? null : evaluated["typeProperties"]?.ToJsonString(), null, null, now, null, null, attempt);
            if (!await store.InsertActivityRunAsync(activityRun, ct))
                return await RecordedAttemptAsync(run.Id, name, attempt, ct);
            var payload = payloadParts with { RunId = run.Id, ActivityRunId = activityRun.Id, ActivityName = name, Split = await SplitAsync(payloadParts, runtime, ct) };
            await store.InsertJobAsync(new JobRow(Guid.NewGuid(), runtime.Queue, activityRun.Id, JsonSerializer.Serialize(payload, FerryJsonContext.Default.JobPayload),
                JobStatus.Queued, null, null, 0, null, 0, LeaseAttempts, now + delay, now, false, "[]", payload.Split?.Step), ct);
            if (run.Status == RunStatus.Queued)
                await store.UpdatePipelineRunAsync(run.Id, RunStatus.InProgress, null, null, now, ct);
            signals.Notify(runtime.Queue);
            LogQueued(logger, run.Id, name, runtime.Name);
            return activityRun;
        }
        catch (ActivityStartException e)
        {
            return await RecordAsync(run, activity, RunStatus.Failed, null, new ActivityError(e.Code, e.Message, Target: name), attempt, ct);
        }
    }

    private sealed class ActivityStartException(string code, string message) : Exception(message)
    {
        public string Code { get; } = code;
    }

    private sealed record RuntimeChoice(string Name, string Queue);

    /// <summary>The plan step of a copy split over the runtime's available nodes (<see cref="CopySplits"/>), or null when it runs whole.</summary>
    private async Task<CopySplit?> SplitAsync(JobPayload copy, RuntimeChoice runtime, CancellationToken ct)
    {
        if (runtime.Queue == ManagedQueue || !Guid.TryParse(runtime.Queue, out var runtimeId))
            return null;
        var available = (await store.ListNodeRecordedStatusesAsync(runtimeId, ct)).Count(s => s is NodeStatus.Online or NodeStatus.Limited);
        return CopySplits.PartsFor(copy, available) is { } parts ? new CopySplit(CopySplit.Plan, Parts: parts) : null;
    }

    /// <summary>A Copy's datasets and linked services, and the runtime that runs it (the reference's "Determining which IR to use").</summary>
    private async Task<(JobPayload, RuntimeChoice)> ResolveCopyAsync(string factory, JsonObject activity, CancellationToken ct)
    {
        var name = activity["name"]!.GetValue<string>();
        var (sourceDataset, sourceLinked) = await DatasetAsync(factory, activity["inputs"]?[0]?["referenceName"]?.GetValue<string>(), name, ct);
        var (sinkDataset, sinkLinked) = await DatasetAsync(factory, activity["outputs"]?[0]?["referenceName"]?.GetValue<string>(), name, ct);
        var runtimes = new List<RuntimeRow>();
        foreach (var linked in new[] { sourceLinked, sinkLinked })
        {
            if (linked["connectVia"]?["referenceName"]?.GetValue<string>() is { } runtimeName
                && await store.GetRuntimeAsync(factory, runtimeName, ct) is { Type: IntegrationRuntimeType.SelfHosted } runtime
                && runtimes.All(r => r.Id != runtime.Id))
                runtimes.Add(runtime);
        }
        if (runtimes.Count > 1)
            throw new ActivityStartException(ErrorCodes.RuntimeConflict,
                $"The source connects via self-hosted runtime '{runtimes[0].Name}' and the sink via '{runtimes[1].Name}': one copy runs on one runtime. " +
                "Point both linked services at the same self-hosted runtime, or stage the data through a store both can reach.");
        var choice = runtimes.Count == 1 ? new RuntimeChoice(runtimes[0].Name, runtimes[0].Id.ToString()) : new RuntimeChoice(ManagedQueue, ManagedQueue);

        JsonObject? stores = null;
        foreach (var linked in new[] { sourceLinked, sinkLinked })
        {
            foreach (var property in LinkedServiceSecrets.SecretProperties)
            {
                if (SecretReference.TryRead(linked["typeProperties"]?[property]) is not { } reference)
                    continue;
                if (await store.GetResourceAsync(factory, FactoryResourceService.LinkedServices, reference.Store, ct) is { } secretStore)
                {
                    stores ??= [];
                    stores[reference.Store] ??= JsonNode.Parse(secretStore.PropertiesJson);
                }
            }
        }
        return (new JobPayload(Guid.Empty, Guid.Empty, name, PipelineCheck.Copy, activity, sourceDataset, sourceLinked, sinkDataset, sinkLinked, stores,
            choice.Name), choice);
    }

    private async Task<(JsonObject Dataset, JsonObject LinkedService)> DatasetAsync(string factory, string? datasetName, string activity, CancellationToken ct)
    {
        var dataset = datasetName is null ? null : await store.GetResourceAsync(factory, FactoryResourceService.Datasets, datasetName, ct);
        if (dataset is null)
            throw new ActivityStartException(ErrorCodes.ReferenceNotFound, $"Activity '{activity}' names dataset '{datasetName}', which no longer exists.");
        var properties = JsonNode.Parse(dataset.PropertiesJson)!.AsObject();
        var linkedName = properties["linkedServiceName"]?["referenceName"]?.GetValue<string>();
        var linked = linkedName is null ? null : await store.GetResourceAsync(factory, FactoryResourceService.LinkedServices, linkedName, ct);
        if (linked is null)
            throw new ActivityStartException(ErrorCodes.ReferenceNotFound, $"Dataset '{dataset.Name}' names linked service '{linkedName}', which no longer exists.");
        return (properties, JsonNode.Parse(linked.PropertiesJson)!.AsObject());
    }

    private async Task<ActivityRunRow> RecordAsync(PipelineRunRow run, JsonObject activity, string status, JsonObject? output, ActivityError? error,
        int attempt, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var row = new ActivityRunRow(Guid.NewGuid(), run.Id, activity["name"]!.GetValue<string>(), activity["type"]!.GetValue<string>(), status, null, null,
            null, output?.ToJsonString(), error is null ? null : JsonSerializer.Serialize(error, FerryJsonContext.Default.ActivityError), now, now, now, attempt);
        return await store.InsertActivityRunAsync(row, ct) ? row : await RecordedAttemptAsync(run.Id, row.Activity, attempt, ct);
    }

    /// <summary>The attempt another caller recorded first (two activities ending at once both moved the run on).</summary>
    private async Task<ActivityRunRow> RecordedAttemptAsync(Guid runId, string activity, int attempt, CancellationToken ct) =>
        (await store.ListActivityRunsAsync(runId, ct)).First(r => r.Attempt == attempt && string.Equals(r.Activity, activity, StringComparison.OrdinalIgnoreCase));

    private async Task FinishAsync(PipelineRunRow run, List<JsonObject> activities, Dictionary<string, ActivityRunRow> latest, CancellationToken ct)
    {
        // A failure is handled when another activity depends on the failed one with Failed or Completed (ADF's "leaf" rule).
        var handled = activities.SelectMany(DependenciesOf).Where(d => d.Conditions.Any(c => c is "Failed" or "Completed")).Select(d => d.Activity)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var failed = latest.Values.Where(r => r.Status == RunStatus.Failed && !handled.Contains(r.Activity)).OrderBy(r => r.RunEnd).ToList();
        // A cancel that came too late to stop anything leaves the run's real outcome.
        var cancelled = run.CancelRequested && (latest.Values.Any(r => r.Status == RunStatus.Cancelled) || latest.Count < activities.Count);
        var status = cancelled ? RunStatus.Cancelled : failed.Count > 0 ? RunStatus.Failed : RunStatus.Succeeded;
        string? message = null;
        if (status == RunStatus.Failed)
        {
            var first = failed[0];
            var error = first.ErrorJson is null ? null : JsonSerializer.Deserialize(first.ErrorJson, FerryJsonContext.Default.ActivityError);
            message = $"Operation on target {first.Activity} failed: {error?.Message ?? "no message"}";
        }
        var now = time.GetUtcNow();
        await store.UpdatePipelineRunAsync(run.Id, status, now, message, now, ct);
        LogFinished(logger, run.Id, run.Pipeline, status);
    }

    private static List<JsonObject> Activities(PipelineRunRow run) =>
        (JsonNode.Parse(run.PipelineJson)?["activities"] as JsonArray ?? []).OfType<JsonObject>().ToList();

    private static Dictionary<string, ActivityRunRow> Latest(IEnumerable<ActivityRunRow> runs) =>
        runs.GroupBy(r => r.Activity, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.MaxBy(r => r.Attempt)!, StringComparer.OrdinalIgnoreCase);

    private static List<Dependency> DependenciesOf(JsonObject activity) =>
        (activity["dependsOn"] as JsonArray ?? []).OfType<JsonObject>()
        .Select(d => new Dependency(d["activity"]!.GetValue<string>(), (d["dependencyConditions"] as JsonArray ?? []).Select(c => c!.GetValue<string>()).ToList()))
        .ToList();

    private static bool Matches(string condition, string status) => condition switch
    {
        "Succeeded" => status == RunStatus.Succeeded,
        "Failed" => status == RunStatus.Failed,
        "Skipped" => status == RunStatus.Skipped,
        "Completed" => status is RunStatus.Succeeded or RunStatus.Failed,
        _ => false,
    };

    private static bool SecureInput(JsonObject activity) => activity["policy"]?["secureInput"]?.GetValue<bool>() == true;

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Run {RunId}: activity {Activity} queued on runtime {Runtime}")]
    private static partial void LogQueued(ILogger logger, Guid runId, string activity, string runtime);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Run {RunId} of pipeline {Pipeline} ended {Status}")]
    private static partial void LogFinished(ILogger logger, Guid runId, string pipeline, string status);
}
