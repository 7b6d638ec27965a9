using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Contracts;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Server.Errors;
using Ferry.Server.Runs;
using Ferry.Server.Store;

namespace Ferry.Server.Jobs;

/// <summary>
/// The job side of the node protocol, also used by the managed runtime's in-process workers: long-poll for a lease,
/// renew it (hearing of a cancel), complete it. Every renew and completion must present the lease's epoch; a stale
/// holder is refused (LeaseLost) and can change nothing.
/// </summary>
public sealed class JobService(IFerryStore store, RunOrchestrator orchestrator, CopySplits splits, JobSignals signals, Hosting.ServerOptions options, TimeProvider time)
{
    public static readonly TimeSpan PollWait = TimeSpan.FromSeconds(20);

    // Renewals also carry cancels to the node, so they come more often than the 20 s in DESIGN.md: a cancel reaches the node within 5 s.
    private TimeSpan Lease => options.JobLease;
    private TimeSpan Renew => options.JobRenew;

    /// <summary>
    /// Leases the oldest job the node may start, waiting up to <paramref name="wait"/> for one. With <paramref name="limit"/>
    /// (the node's concurrent jobs limit as the server knows it) the node gets none while it holds that many already,
    /// whatever it counts itself: a node that has not yet heard of a lowered limit cannot take more.
    /// </summary>
    public async Task<JobLease?> PollAsync(string queue, Guid nodeId, string nodeName, int freeSlots, TimeSpan wait, CancellationToken ct, int? limit = null)
    {
        var deadline = time.GetUtcNow() + wait;
        while (true)
        {
            if (freeSlots > 0)
            {
                var now = time.GetUtcNow();
                if (await store.TryLeaseJobAsync(queue, nodeId, nodeName, now, now + Lease, ct, registeredNode: queue != RunOrchestrator.ManagedQueue, limit) is { } job)
                    return await StartedAsync(job, nodeName, ct);
            }
            var left = deadline - time.GetUtcNow();
            if (left <= TimeSpan.Zero)
                return null;
            // Woken at once by work queued in this process; every second anyway, for work queued by another instance.
            await signals.WaitAsync(queue, left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1), ct);
        }
    }

    private async Task<JobLease> StartedAsync(JobRow job, string nodeName, CancellationToken ct)
    {
        // The steps of a split copy after the first find the activity running already, on another node maybe.
        if (await store.GetActivityRunAsync(job.ActivityRunId, ct) is { } activityRun && (job.Step is null || activityRun.Status == RunStatus.Queued))
            await store.UpdateActivityRunAsync(activityRun with { Status = RunStatus.InProgress, Node = nodeName, RunStart = activityRun.RunStart ?? time.GetUtcNow() }, ct);
        var payload = JsonSerializer.Deserialize(job.PayloadJson, FerryJsonContext.Default.JobPayload)!;
        return new JobLease(job.Id, job.Epoch, (int)Lease.TotalSeconds, (int)Renew.TotalSeconds, payload);
    }

    public async Task<JobRenewResponse> RenewAsync(Guid jobId, Guid nodeId, JobRenewRequest request, CancellationToken ct)
    {
        var job = await store.RenewJobAsync(jobId, nodeId, request.Epoch, time.GetUtcNow() + Lease, ct) ?? throw await LeaseLostAsync(jobId, request.Epoch, ct);
        // Only the output, and only while running: a renewal racing the completion must not put the outcome back to InProgress.
        if (request.Progress is { } progress && job.Step is null)
            await store.UpdateActivityRunProgressAsync(job.ActivityRunId, progress.ToJsonString(), ct);
        return new JobRenewResponse(job.CancelRequested);
    }

    public async Task CompleteAsync(Guid jobId, Guid nodeId, string nodeName, JobCompleteRequest request, CancellationToken ct)
    {
        var job = await store.GetJobAsync(jobId, ct) ?? throw FerryException.NotFound(ErrorCodes.JobNotFound, $"There is no job '{jobId}'.");
        var history = AppendHistory(job.HistoryJson, nodeName, request.Cancelled ? "cancelled" : request.Succeeded ? "succeeded" : request.Error?.Message ?? "failed");
        var status = request.Cancelled ? RunStatus.Cancelled : request.Succeeded ? RunStatus.Succeeded : RunStatus.Failed;
        // A split copy's step keeps what it answered, with when, for the steps that follow and the copy's output.
        var kept = job.Step is null ? null : StepOutput(request.Output);
        if (!await store.FinishJobAsync(jobId, nodeId, request.Epoch, history, ct, job.Step is null ? null : status, kept))
            throw await LeaseLostAsync(jobId, request.Epoch, ct);
        if (job.Step is not null)
        {
            await splits.StepEndedAsync(job with { NodeName = nodeName, OutputJson = kept, Status = JobStatus.Done, Outcome = status }, nodeName, status,
                request.Output, request.Error, ct);
            return;
        }
        var activityRun = await store.GetActivityRunAsync(job.ActivityRunId, ct);
        if (activityRun is null)
            return;
        await orchestrator.ActivityEndedAsync(activityRun, status, request.Output, request.Error, ct);
    }

    /// <summary>Answers once the store can be read (the sweeper's check that its database is back).</summary>
    public async Task ProbeAsync(CancellationToken ct) => await store.ListLapsedJobsAsync(DateTimeOffset.MinValue, ct);

    /// <summary>The sweeper's part: a lapsed lease goes back on the queue, or, with the attempts spent, fails the activity naming every attempt.</summary>
    public async Task SweepAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        foreach (var job in await store.ListLapsedJobsAsync(now, ct))
        {
            var history = AppendHistory(job.HistoryJson, job.NodeName ?? "?", "lease lapsed (the node went silent)");
            if (job.Attempts < job.MaxAttempts && !job.CancelRequested)
            {
                if (await store.RequeueJobAsync(job.Id, job.Epoch, now, history, ct))
                {
                    // One step of a split copy going back on the queue leaves the copy running.
                    if (job.Step is null && await store.GetActivityRunAsync(job.ActivityRunId, ct) is { } requeued)
                        await store.UpdateActivityRunAsync(requeued with { Status = RunStatus.Queued, Node = null }, ct);
                    signals.Notify(job.Queue);
                }
                continue;
            }
            var outcome = job.CancelRequested ? RunStatus.Cancelled : RunStatus.Failed;
            if (!await store.FinishJobAsync(job.Id, null, job.Epoch, history, ct, job.Step is null ? null : outcome)
                || await store.GetActivityRunAsync(job.ActivityRunId, ct) is not { } activityRun)
                continue;
            var attempts = JsonNode.Parse(history)!.AsArray().Select(h => $"{h!["node"]}: {h["outcome"]}");
            var error = job.CancelRequested ? null : new ActivityError(ErrorCodes.LeaseLost,
                $"The job was leased {job.Attempts} time(s) and every lease lapsed ({string.Join("; ", attempts)}).", "SystemError", activityRun.Activity);
            if (job.Step is not null)
                await splits.StepEndedAsync(job with { Status = JobStatus.Done, Outcome = outcome }, job.NodeName ?? "?", outcome, null, error, ct);
            else
                await orchestrator.ActivityEndedAsync(activityRun, outcome, null, error, ct);
        }
    }

    private string? StepOutput(JsonObject? output)
    {
        var kept = output?.DeepClone().AsObject() ?? [];
        kept["endedAt"] = time.GetUtcNow().ToUnixTimeMilliseconds();
        return kept.ToJsonString();
    }

    private static string AppendHistory(string historyJson, string node, string outcome)
    {
        var history = JsonNode.Parse(historyJson) as JsonArray ?? [];
        history.Add(new JsonObject { ["node"] = node, ["outcome"] = outcome });
        return history.ToJsonString();
    }

    private async Task<FerryException> LeaseLostAsync(Guid jobId, int epoch, CancellationToken ct)
    {
        var job = await store.GetJobAsync(jobId, ct);
        return job is null
            ? FerryException.NotFound(ErrorCodes.JobNotFound, $"There is no job '{jobId}'.")
            : FerryException.Conflict(ErrorCodes.LeaseLost, $"This node no longer holds job {jobId} (its lease {epoch} lapsed; the job is now {job.Status.ToLowerInvariant()} " +
                                                             $"at lease {job.Epoch}{(job.NodeName is null ? "" : $" on {job.NodeName}")}): drop the work, commit nothing.");
    }
}
