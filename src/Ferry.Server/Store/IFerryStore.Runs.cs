namespace Ferry.Server.Store;

/// <summary>Pipeline runs, activity runs and the job queues.</summary>
public partial interface IFerryStore
{
    Task InsertPipelineRunAsync(PipelineRunRow run, CancellationToken ct);
    Task<PipelineRunRow?> GetPipelineRunAsync(Guid id, CancellationToken ct);
    /// <summary>The factory's runs that started in [from, to), newest first.</summary>
    Task<IReadOnlyList<PipelineRunRow>> ListPipelineRunsAsync(string factory, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken ct);
    Task UpdatePipelineRunAsync(Guid id, string status, DateTimeOffset? runEnd, string? message, DateTimeOffset now, CancellationToken ct);
    Task RequestRunCancelAsync(Guid id, DateTimeOffset now, CancellationToken ct);

    /// <summary>Records an attempt of an activity; false (and nothing written) when that attempt of the activity is already recorded.</summary>
    Task<bool> InsertActivityRunAsync(ActivityRunRow run, CancellationToken ct);
    Task<ActivityRunRow?> GetActivityRunAsync(Guid id, CancellationToken ct);
    Task<IReadOnlyList<ActivityRunRow>> ListActivityRunsAsync(Guid runId, CancellationToken ct);
    /// <summary>Writes the activity run's status, node, output, error and times.</summary>
    Task UpdateActivityRunAsync(ActivityRunRow run, CancellationToken ct);
    /// <summary>Writes a running activity's progress as its output, only while it is still InProgress (never over its outcome).</summary>
    Task UpdateActivityRunProgressAsync(Guid id, string outputJson, CancellationToken ct);

    /// <summary>Inserts the job unless one with its id exists (a split copy's commit, queued once however many parts end at once); false then.</summary>
    Task<bool> InsertJobAsync(JobRow job, CancellationToken ct);
    /// <summary>Every job of one activity run, oldest first: the steps of a copy split over nodes.</summary>
    Task<IReadOnlyList<JobRow>> ListJobsOfActivityRunAsync(Guid activityRunId, CancellationToken ct);
    Task<JobRow?> GetJobAsync(Guid id, CancellationToken ct);
    /// <summary>
    /// Leases the oldest queued job of <paramref name="queue"/> that may start now, raising its epoch; null when none.
    /// With <paramref name="registeredNode"/>, only while <paramref name="nodeId"/> is still a registered node: a long poll
    /// that began before the node was removed must not take the very jobs its removal put back on the queue. With
    /// <paramref name="limit"/>, only while the node holds fewer leases than that.
    /// </summary>
    Task<JobRow?> TryLeaseJobAsync(string queue, Guid nodeId, string nodeName, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken ct,
        bool registeredNode = true, int? limit = null);
    /// <summary>Extends the lease if <paramref name="nodeId"/> still holds it at <paramref name="epoch"/>; the job as it is then, or null.</summary>
    Task<JobRow?> RenewJobAsync(Guid id, Guid nodeId, int epoch, DateTimeOffset leaseUntil, CancellationToken ct);
    /// <summary>Ends the job if <paramref name="nodeId"/> still holds it at <paramref name="epoch"/>; false for a stale holder.</summary>
    Task<bool> FinishJobAsync(Guid id, Guid? nodeId, int epoch, string historyJson, CancellationToken ct, string? outcome = null, string? outputJson = null);
    /// <summary>Puts a leased job back on its queue (its lease lapsed) if it is still at <paramref name="epoch"/>.</summary>
    Task<bool> RequeueJobAsync(Guid id, int epoch, DateTimeOffset notBefore, string historyJson, CancellationToken ct);
    Task<IReadOnlyList<JobRow>> ListLapsedJobsAsync(DateTimeOffset now, CancellationToken ct);
    /// <summary>The jobs <paramref name="nodeId"/> holds a lease on now.</summary>
    Task<IReadOnlyList<JobRow>> ListJobsLeasedByAsync(Guid nodeId, CancellationToken ct);
    /// <summary>Cancels the jobs of these activity runs: queued ones end at once, leased ones are told at their next renew.</summary>
    Task CancelJobsAsync(IReadOnlyCollection<Guid> activityRunIds, CancellationToken ct);
}
